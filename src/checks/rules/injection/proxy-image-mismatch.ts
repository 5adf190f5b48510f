import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { injectorConfigMapName, injectorProxyImages, proxyImageType } from '../../../mesh/proxy-image.js';
import type { Rule } from '../../rule.js';
import { SHOWN, listSome } from '../_lists.js';

/** The images of a pod spec's containers and init containers named `istio-proxy`, one per container. */
function proxyImages(spec: Readonly<Record<string, unknown>>): string[] {
  const containers = [spec.containers, spec.initContainers].flatMap((l) => (Array.isArray(l) ? l : []));
  return containers.filter((c) => isRecord(c) && c.name === 'istio-proxy').map((c) => (typeof c.image === 'string' ? c.image : ''));
}

/**
 * `injection/proxy-image-mismatch` (IST0158): Pods of an injected namespace run an istio-proxy
 * image other than the one the injector now injects. Mirrors Istio's `injection.ImageAnalyzer`
 * (`pkg/config/analysis/analyzers/injection/injection-image.go`).
 */
const proxyImageMismatch: Rule = {
  id: 'injection/proxy-image-mismatch',
  istioCode: 'IST0158',
  severity: 'warning',
  summary: 'Pods of an injected namespace run an istio-proxy image other than the one the sidecar injector ConfigMap now injects (pods not restarted after a control-plane upgrade).',
  docs: [
    'After istiod is upgraded, running pods keep the proxy they were injected with until they are recreated, so',
    'they run an old Envoy against a new control plane. As in `istioctl analyze` IST0158',
    '(PodsIstioProxyImageMismatchInNamespace), when the input holds a ConfigMap named `istio-sidecar-injector…`,',
    'each Pod of a Namespace labelled `istio-injection=enabled` or `istio.io/rev` is compared with the injector',
    'ConfigMap of that revision (`istio-sidecar-injector`, or `istio-sidecar-injector-<rev>`): its `data.values` JSON',
    'gives `global.proxy.image` (when it holds a `/`) or `global.hub/global.proxy.image:global.tag`, optionally with',
    'the `-<imageType>` suffix from MeshConfig `defaultConfig.image`, ProxyConfig resources or the pod\'s',
    '`proxy.istio.io/config`. Every `istio-proxy` container or init container with another image counts; pods with',
    '`sidecar.istio.io/proxyImage` are skipped; a `data.values` that is missing or not JSON counts as the image \'\'.',
    'One finding per Namespace. Fix: restart the workloads (`kubectl rollout restart deployment -n <ns>`).',
  ].join(' '),
  kinds: ['ConfigMap', 'Namespace', 'Pod', 'ProxyConfig'],
  check(graph, ctx) {
    const injectors = injectorProxyImages(graph);
    if (injectors.size === 0) return;
    const revisions = new Map<string, { ns: MeshObject; revision: string }>();
    for (const ns of graph.ofKind('Namespace')) {
      const rev = ns.labels['istio.io/rev'];
      if (rev !== undefined) revisions.set(ns.name, { ns, revision: rev });
      else if (ns.labels['istio-injection'] === 'enabled') revisions.set(ns.name, { ns, revision: 'default' });
    }
    const mismatched = new Map<string, string[]>();
    for (const pod of graph.ofKind('Pod')) {
      const at = revisions.get(pod.namespace);
      if (pod.group !== '' || at === undefined || (pod.annotations['sidecar.istio.io/proxyImage'] ?? '') !== '') continue;
      const injector = injectors.get(injectorConfigMapName(at.revision));
      if (injector === undefined) continue;
      const variant = proxyImageType(graph, pod);
      for (const image of proxyImages(pod.spec)) {
        if (image !== injector.image && image !== `${injector.image}-${variant}`) mismatched.set(pod.namespace, [...(mismatched.get(pod.namespace) ?? []), pod.name]);
      }
    }
    for (const [namespace, pods] of mismatched) {
      const { ns, revision } = revisions.get(namespace)!;
      const injector = injectors.get(injectorConfigMapName(revision))!;
      const want = injector.problem ? `no image (${injector.problem})` : `"${injector.image}"`;
      const names = [...pods].sort();
      ctx.report(ns, `The Istio proxy images of the pods running in namespace ${namespace} do not match the image defined in the injection configuration ` +
        `(pod names: ${listSome(names, SHOWN, names.length)}): ConfigMap ${injector.configMap.namespace}/${injector.configMap.name} injects ${want}. ` +
        'This often happens after upgrading the Istio control plane: redeploy the pods (kubectl rollout restart) so they are injected again', { path: ['metadata', 'labels'] });
    }
  },
};

export default proxyImageMismatch;
