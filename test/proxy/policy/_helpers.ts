/** Deterministic random sources and small Envoy message builders for the policy tests. */
import { create } from '@bufbuild/protobuf';
import { ClusterLoadAssignmentSchema, type ClusterLoadAssignment } from '../../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { RandomSource } from '../../../src/proxy/policy/_common.js';

/** mulberry32: a seeded uniform source in [0, 1). */
export { seeded } from '../../_random.js';

/** Returns the given values in order, then repeats them. */
export function scripted(...values: number[]): RandomSource {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** A hand-driven clock. */
export function manualClock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

export interface EndpointSpec { ip: string; port: number; weight?: number; priority?: number; zone?: string; localityWeight?: number; health?: number }

/** A ClusterLoadAssignment with one locality per (priority, zone). */
export function cla(name: string, eps: readonly EndpointSpec[]): ClusterLoadAssignment {
  const groups = new Map<string, EndpointSpec[]>();
  for (const e of eps) {
    const k = `${e.priority ?? 0}|${e.zone ?? 'z'}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  return create(ClusterLoadAssignmentSchema, {
    clusterName: name,
    endpoints: [...groups.values()].map((g) => ({
      priority: g[0]!.priority ?? 0,
      locality: { region: 'r', zone: g[0]!.zone ?? 'z' },
      ...(g[0]!.localityWeight !== undefined ? { loadBalancingWeight: g[0]!.localityWeight } : {}),
      lbEndpoints: g.map((e) => ({
        hostIdentifier: { case: 'endpoint' as const, value: { address: { address: { case: 'socketAddress' as const, value: { address: e.ip, portSpecifier: { case: 'portValue' as const, value: e.port } } } } } },
        ...(e.weight !== undefined ? { loadBalancingWeight: e.weight } : {}),
        healthStatus: e.health ?? 0,
      })),
    })),
  });
}

/** Counts how often each key occurs. */
export function tally<T>(xs: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}
