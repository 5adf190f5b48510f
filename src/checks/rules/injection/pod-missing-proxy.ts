import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/** Whether a pod spec has a container or init container named `istio-proxy` with an image. */
function hasProxy(spec: Record<string, unknown>): boolean {
  const containers = [spec.containers, spec.initContainers].flatMap((l) => (Array.isArray(l) ? l : []));
  const proxy = containers.find((c) => isRecord(c) && c.name === 'istio-proxy');
  return isRecord(proxy) && typeof proxy.image === 'string' && proxy.image !== '';
}

/** `injection/pod-missing-proxy` (IST0103): a Pod in an `istio-injection=enabled` namespace without the istio-proxy container. */
const podMissingProxy: Rule = {
  id: 'injection/pod-missing-proxy',
  istioCode: 'IST0103',
  severity: 'warning',
  summary: 'A Pod runs in a namespace labelled istio-injection=enabled but has no istio-proxy container, so it is outside the mesh.',
  docs: [
    'The injector adds the `istio-proxy` container when a pod is created; a pod created before its namespace was',
    'labelled, or while the injector was down, runs without it: no mTLS, routing or policy for it, and STRICT peers',
    'refuse its traffic. Fix: restart or redeploy the workload (`kubectl rollout restart`), or opt the pod out',
    'explicitly with `sidecar.istio.io/inject: "false"`. Mirrors `istioctl analyze` IST0103 (PodMissingProxy,',
    '`injection.Analyzer`): Pods (as `kubectl get pods -o yaml` shows them) of namespaces whose `istio-injection`',
    'label is exactly `enabled` (not ambient, not `istio-system`) are checked; a pod whose `sidecar.istio.io/inject`',
    'label (else annotation) is "false" in any case, or on the host network, is skipped; an `istio-proxy` container',
    'or init container (native sidecar) with an image counts.',
  ].join(' '),
  kinds: ['Pod', 'Namespace'],
  check(graph, ctx) {
    const injected = new Set(graph.ofKind('Namespace')
      .filter((ns) => ns.name !== 'istio-system' && ns.labels['istio.io/dataplane-mode'] !== 'ambient' && ns.labels['istio-injection'] === 'enabled')
      .map((ns) => ns.name));
    for (const pod of graph.ofKind('Pod')) {
      if (pod.group !== '' || !injected.has(pod.namespace)) continue;
      const inject = pod.labels['sidecar.istio.io/inject'] ?? pod.annotations['sidecar.istio.io/inject'] ?? '';
      if (inject.toLowerCase() === 'false' || pod.spec.hostNetwork === true || hasProxy(pod.spec)) continue;
      ctx.report(pod, `The pod ${pod.namespace}/${pod.name} is missing the Istio proxy although namespace ${pod.namespace} is labelled istio-injection=enabled: it was created before the label or while the injector was unavailable, so it runs outside the mesh. Restart or redeploy its workload, or set sidecar.istio.io/inject: "false" on it if that is intended`, {
        path: ['spec', 'containers'],
      });
    }
  },
};

export default podMissingProxy;
