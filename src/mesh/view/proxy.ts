/** Proxy identities: from a workload in the graph, or described directly. */
import type { MeshGraph } from '../graph.js';
import { isRecord } from '../object.js';
import { injectedPodLabelsOf, LABEL_POD_INDEX, LABEL_STATEFULSET_POD_NAME, podsOf, type Workload } from '../workloads.js';
import { lazyOriginOf } from './origin.js';
import type { ProxyIdentity, ProxyType } from './types.js';

/**
 * The proxy of `workload`: a router for gateway pods, else a sidecar. An injected sidecar's labels
 * are its pods': the template's plus the injector's (`injectedPodLabelsOf`), which selectors may name.
 */
export function proxyOf(graph: MeshGraph, workload: Workload): ProxyIdentity {
  const dataplane = graph.membershipOf(workload).dataplane;
  const type: ProxyType = dataplane === 'gateway' ? 'router' : 'sidecar';
  return {
    type, name: workload.name, namespace: workload.namespace, labels: dataplane === 'sidecar' ? { ...injectedPodLabelsOf(workload), ...workload.labels } : { ...workload.labels },
    serviceAccount: workload.serviceAccount, origin: lazyOriginOf(workload.object, workload.templatePath),
  };
}

/**
 * Every proxy in the graph: each workload whose membership is sidecar or gateway (and, when
 * `includeUnknown`, unknown). A StatefulSet whose pods some selector tells apart (a workloadSelector,
 * policy `selector` or route `sourceLabels` naming `statefulset.kubernetes.io/pod-name` or
 * `apps.kubernetes.io/pod-index` with a value one of its pods carries) is one proxy per pod, named after
 * the pod and carrying its per-pod labels, as istiod configures each pod's proxy by its own labels; the
 * first pod also answers to the StatefulSet's name ({@link ProxyIdentity.aliases}).
 */
export function proxiesOf(graph: MeshGraph, includeUnknown = true): ProxyIdentity[] {
  const perPod = perPodLabelsSelected(graph);
  return graph.workloads.all
    .filter((w) => {
      const d = graph.membershipOf(w).dataplane;
      return d === 'sidecar' || d === 'gateway' || (includeUnknown && d === 'unknown');
    })
    .flatMap((w) => {
      const proxy = proxyOf(graph, w);
      const pods = perPod.size === 0 ? [] : podsOf(w);
      if (!pods.some((p) => Object.entries(p.labels).some(([k, v]) => perPod.has(`${k}=${v}`)))) return [proxy];
      return pods.map((p, i) => ({ ...proxy, name: p.name, workload: w.name, labels: { ...proxy.labels, ...p.labels }, ...(i === 0 ? { aliases: [w.name] } : {}) }));
    });
}

/** Kinds whose spec may select pods by label (workloadSelector, selector, Gateway selector, route sourceLabels). */
const SELECTING_KINDS = ['Sidecar', 'PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'WasmPlugin', 'EnvoyFilter', 'DestinationRule', 'ProxyConfig', 'Gateway', 'VirtualService'];

/** `key=value` of every per-pod label (StatefulSet pod name or index) some selector in the graph names. */
function perPodLabelsSelected(graph: MeshGraph): Set<string> {
  const found = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 16) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if ((k === LABEL_STATEFULSET_POD_NAME || k === LABEL_POD_INDEX) && typeof x === 'string') found.add(`${k}=${x}`);
        else walk(x, depth + 1);
      }
    }
  };
  for (const kind of SELECTING_KINDS) for (const o of graph.ofKind(kind)) walk(o.spec, 0);
  return found;
}

/** A proxy described by hand (tests, `xds serve` nodes without a workload in the input). */
export function describeProxy(p: { type?: ProxyType; name: string; namespace: string; labels?: Record<string, string>; serviceAccount?: string }): ProxyIdentity {
  return { type: p.type ?? 'sidecar', name: p.name, namespace: p.namespace, labels: { ...p.labels }, serviceAccount: p.serviceAccount ?? 'default', origin: null };
}

/** The minimal workload shape selection needs (Sidecar, PeerAuthentication selectors). */
export function selectionTarget(proxy: ProxyIdentity): Workload {
  return { namespace: proxy.namespace, labels: proxy.labels } as unknown as Workload;
}
