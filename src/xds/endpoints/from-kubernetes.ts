/**
 * The endpoint model from Kubernetes objects, as istiod's Kubernetes controller builds it: addresses
 * and readiness from EndpointSlices (`discovery.k8s.io/v1`), labels and container ports from the Pods
 * they point at. The result is the same {@link WorkloadInstance} list a workload file gives, so the
 * translator resolves it through Service selectors and subset labels in one way for both sources.
 */
import { isIP } from 'node:net';
import type { WorkloadInstance } from '../translate/index.js';

/** The fields of a `discovery.k8s.io/v1` EndpointSlice that matter here. */
export interface EndpointSliceLike {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly addressType?: string;
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[];
    readonly conditions?: { readonly ready?: boolean | null; readonly terminating?: boolean | null } | null;
    readonly targetRef?: { readonly kind?: string; readonly name?: string; readonly namespace?: string } | null;
  }[] | null;
}

/** The fields of a `v1` Pod that matter here. */
export interface PodLike {
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> | null };
  readonly spec?: { readonly hostNetwork?: boolean; readonly containers?: readonly { readonly ports?: readonly { readonly name?: string; readonly containerPort?: number }[] | null }[] };
  readonly status?: { readonly podIP?: string };
}

/**
 * One workload instance per (namespace, pod, address) that some EndpointSlice lists as ready
 * (`conditions.ready` true or unset, as Kubernetes defines it; a terminating endpoint is not ready).
 * Labels and named container ports come from the Pod the endpoint's `targetRef` names; an endpoint
 * without a known Pod (a VM, a pod not yet seen) keeps its address with no labels, so it only backs
 * Services that select nothing. FQDN-type slices are skipped (EDS needs IPs). Sorted by namespace,
 * name and address, so the same cluster state always gives the same snapshot.
 */
export function workloadsFromKubernetes(slices: readonly EndpointSliceLike[], pods: readonly PodLike[]): WorkloadInstance[] {
  const podsByKey = new Map<string, PodLike>();
  for (const p of pods) if (p.metadata?.name) podsByKey.set(`${p.metadata.namespace ?? 'default'}/${p.metadata.name}`, p);
  const out = new Map<string, WorkloadInstance>();
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    const namespace = slice.metadata?.namespace ?? 'default';
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      const ref = ep.targetRef?.kind === 'Pod' && ep.targetRef.name ? ep.targetRef : undefined;
      const pod = ref ? podsByKey.get(`${ref.namespace ?? namespace}/${ref.name}`) : undefined;
      for (const address of ep.addresses ?? []) {
        if (isIP(address) === 0) continue;
        const name = ref?.name ?? `${slice.metadata?.name ?? 'endpointslice'}-${address}`;
        const key = `${namespace}/${name}/${address}`;
        if (out.has(key)) continue;
        out.set(key, { name, namespace, address, labels: { ...(pod?.metadata?.labels ?? {}) }, ports: containerPorts(pod), ...(pod?.spec?.hostNetwork === true ? { hostNetwork: true as const } : {}) });
      }
    }
  }
  return [...out.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.address.localeCompare(b.address));
}

function containerPorts(pod: PodLike | undefined): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const c of pod?.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name && typeof p.containerPort === 'number') ports[p.name] ??= p.containerPort;
  }
  return ports;
}
