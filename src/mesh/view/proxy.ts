/** Proxy identities: from a workload in the graph, or described directly. */
import type { MeshGraph } from '../graph.js';
import { isRecord } from '../object.js';
import { injectedPodLabelsOf, ordinalCarrying, PER_POD_LABELS, podLabelsOf, podOrdinalsOf, type Workload } from '../workloads.js';
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
 * `includeUnknown`, unknown). A StatefulSet pod that some selector names by its own labels (a
 * workloadSelector, policy `selector` or route `sourceLabels` with `statefulset.kubernetes.io/pod-name`
 * or `apps.kubernetes.io/pod-index`) is a proxy of its own, named after the pod and carrying its per-pod
 * labels, as istiod configures each pod's proxy by its own labels; the StatefulSet's proxy stands for its
 * other pods (config no per-pod selector reaches). When every pod is named, the first answers to the
 * StatefulSet's name too ({@link ProxyIdentity.aliases}). At most one proxy per selector entry: a
 * StatefulSet of two billion replicas is not listed pod by pod.
 */
export function proxiesOf(graph: MeshGraph, includeUnknown = true): ProxyIdentity[] {
  return graph.workloads.all
    .filter((w) => {
      const d = graph.membershipOf(w).dataplane;
      return d === 'sidecar' || d === 'gateway' || (includeUnknown && d === 'unknown');
    })
    .flatMap((w) => proxiesOfWorkload(graph, w));
}

/**
 * The proxies of workload `w` (see {@link proxiesOf}): its own, and one per StatefulSet pod a selector
 * of the graph names by its per-pod labels.
 */
export function proxiesOfWorkload(graph: MeshGraph, w: Workload): ProxyIdentity[] {
  const proxy = proxyOf(graph, w);
  const named = perPodLabelsSelected(graph);
  const pods = named.length === 0 ? undefined : podOrdinalsOf(w);
  if (!pods) return [proxy];
  const ordinals = [...new Set(named.flatMap(([k, v]) => ordinalCarrying(pods, k, v) ?? []))].sort((a, b) => a - b);
  if (ordinals.length === 0) return [proxy];
  const own = ordinals.map((i): ProxyIdentity => {
    const labels = podLabelsOf(pods, i);
    return { ...proxy, name: labels[PER_POD_LABELS[0]!]!, workload: w.name, labels: { ...proxy.labels, ...labels } };
  });
  if (ordinals.length < pods.count) return [proxy, ...own];
  return [{ ...own[0]!, aliases: [w.name] }, ...own.slice(1)];
}

/**
 * Proxies that share one `<namespace>/<name>` id: a StatefulSet pod with a proxy of its own (a
 * selector names it by pod name) and a workload of another kind named like the pod. Kubernetes allows
 * both; node ids and config dumps cannot tell them apart. One message per id, saying what and how to fix.
 */
export function proxyIdCollisions(proxies: readonly ProxyIdentity[]): { id: string; message: string }[] {
  const byId = new Map<string, ProxyIdentity[]>();
  for (const p of proxies) {
    const id = `${p.namespace}/${p.name}`;
    const list = byId.get(id);
    if (list) list.push(p); else byId.set(id, [p]);
  }
  return [...byId].filter(([, list]) => list.length > 1).map(([id, list]) => ({
    id,
    message: `two proxies have the id ${id}: ${list.map((p) => (p.workload ? `pod ${p.name} of StatefulSet ${p.workload} (a selector names it by pod name)` : `workload ${p.name}`)).join(' and ')}; `
      + 'their config dumps and xds serve node ids collide. Rename the workload, or select the pod by a label of its own instead of statefulset.kubernetes.io/pod-name',
  }));
}

/** Kinds whose spec may select pods by label (workloadSelector, selector, Gateway selector, route sourceLabels). */
const SELECTING_KINDS = ['Sidecar', 'PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'WasmPlugin', 'EnvoyFilter', 'DestinationRule', 'ProxyConfig', 'Gateway', 'VirtualService'];

const PER_POD_SELECTED = new WeakMap<MeshGraph, [string, string][]>();

/** `[key, value]` of every per-pod label (StatefulSet pod name or index) some selector in the graph names, once each. */
function perPodLabelsSelected(graph: MeshGraph): [string, string][] {
  const cached = PER_POD_SELECTED.get(graph);
  if (cached) return cached;
  const found = new Map<string, [string, string]>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 16) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (PER_POD_LABELS.includes(k) && typeof x === 'string') found.set(`${k}=${x}`, [k, x]);
        else walk(x, depth + 1);
      }
    }
  };
  for (const kind of SELECTING_KINDS) for (const o of graph.ofKind(kind)) walk(o.spec, 0);
  const list = [...found.values()];
  PER_POD_SELECTED.set(graph, list);
  return list;
}

/** A proxy described by hand (tests, `xds serve` nodes without a workload in the input). */
export function describeProxy(p: { type?: ProxyType; name: string; namespace: string; labels?: Record<string, string>; serviceAccount?: string }): ProxyIdentity {
  return { type: p.type ?? 'sidecar', name: p.name, namespace: p.namespace, labels: { ...p.labels }, serviceAccount: p.serviceAccount ?? 'default', origin: null };
}

/** The minimal workload shape selection needs (Sidecar, PeerAuthentication selectors). */
export function selectionTarget(proxy: ProxyIdentity): Workload {
  return { namespace: proxy.namespace, labels: proxy.labels } as unknown as Workload;
}
