/**
 * Mesh membership: which data plane a workload runs with, decided the way Istio's injection
 * webhooks (`istio-sidecar-injector` namespace/object selectors, `pkg/kube/inject.injectRequired`)
 * and ambient mode decide it. Pure functions of the workload and its Namespace object.
 */
import type { FieldPath } from './types.js';
import { isRecord, stringMap, type MeshObject } from './object.js';
import type { Workload } from './workloads.js';

/**
 * - `sidecar`: an Envoy sidecar is injected (or the pod already carries `istio-proxy`).
 * - `gateway`: the pod is an Istio gateway (router) proxy.
 * - `ambient`: no sidecar; traffic goes through ztunnel (`istio.io/dataplane-mode=ambient`, or the
 *   `ambient.istio.io/redirection: enabled` annotation istio-cni writes on a captured pod).
 * - `none`: not in the mesh.
 * - `unknown`: the answer depends on a Namespace object that is not in the input.
 */
export type Dataplane = 'sidecar' | 'gateway' | 'ambient' | 'none' | 'unknown';

/** The object and field that decided a workload's membership. */
export interface MembershipEvidence {
  readonly object: MeshObject;
  readonly path: FieldPath;
}

export interface Membership {
  readonly dataplane: Dataplane;
  /** The control-plane revision (`istio.io/rev`), when one selects the workload. */
  readonly revision?: string;
  /** One sentence a finding can quote: why this dataplane. */
  readonly reason: string;
  /** What decided it; null for defaults. */
  readonly evidence: MembershipEvidence | null;
  /** True when mTLS peers exist on this workload (sidecar, gateway or ambient). */
  readonly meshed: boolean;
}

/** Namespaces the injector never touches (`injectRequired` ignored namespaces). */
const IGNORED_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);
const GATEWAY_ISTIO_LABELS = new Set(['ingressgateway', 'egressgateway', 'eastwestgateway']);

function template(w: Workload): { labels: Record<string, string>; annotations: Record<string, string>; spec: Record<string, unknown>; path: FieldPath } {
  let t: unknown = w.object.body;
  for (const p of w.templatePath) t = isRecord(t) ? t[p as string] : undefined;
  const meta = isRecord(t) && isRecord(t.metadata) ? t.metadata : {};
  const spec = isRecord(t) && isRecord(t.spec) ? t.spec : {};
  return { labels: stringMap(meta.labels), annotations: stringMap(meta.annotations), spec, path: w.templatePath };
}

function result(dataplane: Dataplane, reason: string, evidence: MembershipEvidence | null, revision?: string): Membership {
  return { dataplane, reason, evidence, meshed: dataplane === 'sidecar' || dataplane === 'gateway' || dataplane === 'ambient', ...(revision !== undefined ? { revision } : {}) };
}

/**
 * The data plane of `w`. `namespace` is its Namespace object, or undefined when the input does
 * not hold it (then anything the namespace labels would decide is `unknown`). `ingressSelector`
 * is MeshConfig `ingressSelector` (pods labelled `istio: <value>` are gateways).
 */
export function membershipOf(w: Workload, namespace: MeshObject | undefined, ingressSelector = 'ingressgateway'): Membership {
  if (w.kind === 'WorkloadEntry') {
    // istiod reads the endpoint's TLS mode from this label first (serviceentry/conversion.go
    // getTLSModeFromWorkloadEntry): a value other than "istio" says the VM speaks no Istio mTLS.
    const tlsMode = w.labels['security.istio.io/tlsMode'];
    if (tlsMode !== undefined && tlsMode !== 'istio') {
      return result('none', `its WorkloadEntry is labelled security.istio.io/tlsMode: ${tlsMode}, so istiod treats the VM as running no Istio proxy`, { object: w.object, path: ['spec', 'labels', 'security.istio.io/tlsMode'] });
    }
    // Without the label, istiod gives the endpoint Istio mTLS only when the entry names a serviceAccount.
    if (tlsMode === undefined && !hasServiceAccount(w.object)) {
      return result('none', 'its WorkloadEntry names no serviceAccount and no security.istio.io/tlsMode label, so istiod gives its endpoints TLS mode disabled: callers send it plaintext, as to a VM without the Istio sidecar (set spec.serviceAccount for a VM that runs the sidecar)', { object: w.object, path: ['spec'] });
    }
    return result('sidecar', 'a WorkloadEntry stands for a VM running the Istio sidecar', { object: w.object, path: ['spec'] });
  }
  const t = template(w);
  const at = (...p: (string | number)[]): MembershipEvidence => ({ object: w.object, path: [...t.path, ...p] });

  // Gateways: injected with the gateway template, or deployed with the proxy image by the installer.
  const templates = t.annotations['inject.istio.io/templates'];
  if (templates !== undefined && templates.split(',').map((s) => s.trim()).includes('gateway')) {
    return result('gateway', `its pod template asks for the gateway injection template (inject.istio.io/templates: ${templates})`, at('metadata', 'annotations', 'inject.istio.io/templates'));
  }
  const istioLabel = t.labels.istio;
  if (istioLabel !== undefined && (GATEWAY_ISTIO_LABELS.has(istioLabel) || istioLabel === ingressSelector)) {
    return result('gateway', `its pods are labelled istio: ${istioLabel}, an Istio gateway`, at('metadata', 'labels', 'istio'));
  }
  const containers = Array.isArray(t.spec.containers) ? t.spec.containers : [];
  const proxyIndex = containers.findIndex((c) => isRecord(c) && c.name === 'istio-proxy');
  if (proxyIndex >= 0) {
    const args = (containers[proxyIndex] as Record<string, unknown>).args;
    const router = Array.isArray(args) && args.includes('router');
    return result(router ? 'gateway' : 'sidecar', router ? 'its istio-proxy container runs as a router (gateway)' : 'its pod already has an istio-proxy container (manual injection)', at('spec', 'containers', proxyIndex));
  }
  // istio-cni writes this annotation on every pod it has captured for ztunnel: a pod manifest that
  // carries it (e.g. `kubectl get pod -o yaml`) is ambient whatever the labels say (Istio
  // util.PodInAmbientMode reads only this).
  if (t.annotations['ambient.istio.io/redirection'] === 'enabled') {
    return result('ambient', 'its pod carries ambient.istio.io/redirection: enabled (captured by ztunnel)', at('metadata', 'annotations', 'ambient.istio.io/redirection'));
  }
  if (t.spec.hostNetwork === true) return result('none', 'pods on the host network are never injected', at('spec', 'hostNetwork'));
  if (IGNORED_NAMESPACES.has(w.namespace)) return result('none', `the injector ignores namespace ${w.namespace}`, null);

  // Pod opt-out: label first (webhook objectSelector), then the legacy annotation.
  const podLabel = t.labels['sidecar.istio.io/inject'];
  const podAnnotation = t.annotations['sidecar.istio.io/inject'];
  const podInject = podLabel ?? podAnnotation;
  const podInjectAt = podLabel !== undefined ? at('metadata', 'labels', 'sidecar.istio.io/inject') : at('metadata', 'annotations', 'sidecar.istio.io/inject');
  const podRev = t.labels['istio.io/rev'];
  const podMode = t.labels['istio.io/dataplane-mode'];

  if (!namespace) {
    if (podInject === 'false') return result('none', 'its pod template sets sidecar.istio.io/inject: "false"', podInjectAt);
    if (podMode === 'none') return result('none', 'its pod template opts out of ambient (istio.io/dataplane-mode: none)', at('metadata', 'labels', 'istio.io/dataplane-mode'));
    return result('unknown', `the Namespace ${w.namespace} is not in the input, so its injection labels are unknown (add it, or pass it with --context)`, null);
  }

  const ns = namespace.labels;
  const nsAt = (k: string): MembershipEvidence => ({ object: namespace, path: ['metadata', 'labels', k] });
  const nsInjection = ns['istio-injection'];
  const nsRev = ns['istio.io/rev'];
  if (nsInjection === 'disabled') return result('none', `namespace ${w.namespace} is labelled istio-injection: disabled`, nsAt('istio-injection'));
  if (podInject === 'false') return result('none', 'its pod template sets sidecar.istio.io/inject: "false"', podInjectAt);
  if (nsInjection === 'enabled') return result('sidecar', `namespace ${w.namespace} is labelled istio-injection: enabled`, nsAt('istio-injection'));
  if (nsInjection === undefined && nsRev !== undefined) return result('sidecar', `namespace ${w.namespace} is labelled istio.io/rev: ${nsRev}`, nsAt('istio.io/rev'), nsRev);
  if (nsInjection === undefined && nsRev === undefined) {
    if (podRev !== undefined) return result('sidecar', `its pod template is labelled istio.io/rev: ${podRev}`, at('metadata', 'labels', 'istio.io/rev'), podRev);
    if (podLabel === 'true') return result('sidecar', 'its pod template is labelled sidecar.istio.io/inject: "true"', podInjectAt);
  }
  if (podMode === 'none') return result('none', 'its pod template opts out of ambient (istio.io/dataplane-mode: none)', at('metadata', 'labels', 'istio.io/dataplane-mode'));
  const mode = podMode ?? ns['istio.io/dataplane-mode'];
  if (mode === 'ambient') {
    return result('ambient', podMode === 'ambient' ? 'its pod template is labelled istio.io/dataplane-mode: ambient' : `namespace ${w.namespace} is labelled istio.io/dataplane-mode: ambient`,
      podMode === 'ambient' ? at('metadata', 'labels', 'istio.io/dataplane-mode') : nsAt('istio.io/dataplane-mode'));
  }
  return result('none', `namespace ${w.namespace} has no istio-injection, istio.io/rev or istio.io/dataplane-mode label`, { object: namespace, path: ['metadata'] });
}

/** Whether a WorkloadEntry's `spec.serviceAccount` is set (istiod getTLSModeFromWorkloadEntry reads it as written: no default). */
function hasServiceAccount(o: MeshObject): boolean {
  return typeof o.spec.serviceAccount === 'string' && o.spec.serviceAccount !== '';
}
