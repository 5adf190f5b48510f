/** Proxy identities: from a workload in the graph, or described directly. */
import type { MeshGraph } from '../graph.js';
import { injectedPodLabelsOf, type Workload } from '../workloads.js';
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

/** Every proxy in the graph: each workload whose membership is sidecar or gateway (and, when `includeUnknown`, unknown). */
export function proxiesOf(graph: MeshGraph, includeUnknown = true): ProxyIdentity[] {
  return graph.workloads.all
    .filter((w) => {
      const d = graph.membershipOf(w).dataplane;
      return d === 'sidecar' || d === 'gateway' || (includeUnknown && d === 'unknown');
    })
    .map((w) => proxyOf(graph, w));
}

/** A proxy described by hand (tests, `xds serve` nodes without a workload in the input). */
export function describeProxy(p: { type?: ProxyType; name: string; namespace: string; labels?: Record<string, string>; serviceAccount?: string }): ProxyIdentity {
  return { type: p.type ?? 'sidecar', name: p.name, namespace: p.namespace, labels: { ...p.labels }, serviceAccount: p.serviceAccount ?? 'default', origin: null };
}

/** The minimal workload shape selection needs (Sidecar, PeerAuthentication selectors). */
export function selectionTarget(proxy: ProxyIdentity): Workload {
  return { namespace: proxy.namespace, labels: proxy.labels } as unknown as Workload;
}
