/**
 * Traffic judgement of circuit breaking (Istio `connectionPool`, Envoy `circuit_breakers`): through
 * a fresh caller sidecar, more slow requests at once than the limits admit
 * (`maxConnections` + `http1MaxPendingRequests` + 4, each held 400 ms by the echo backend). The
 * promise holds when some are answered 503 by the caller with `x-envoy-overloaded` and response
 * flag `UO` in its access log, and some still reach the backend.
 *
 * Envoy keeps the limits per cluster, and a host's routes may spread a burst over several (an
 * 80/20 canary over `outbound|8080|v1|…` and `…|v2|…`), none of which then overflows. Where the
 * caller pins clusters (`x-meshproof-cluster`, `pinClusters`), each cluster of the host gets its
 * own burst and every one must overflow; otherwise (a caller verify did not start) the burst goes
 * through the host's routes, sized so that the cluster with the largest share of the split gets
 * more than the limits admit.
 */
import type { Expectation, RequestSpec } from '../expectations/types.js';
import type { TrafficVerdict } from '../report/types.js';
import type { AccessLogEntry } from '../../proxy/access-log.js';
import type { Caller } from './mesh.js';
import { PIN_HEADER } from './pin-cluster.js';
import { sendMany } from './send.js';

type Of<K extends Expectation['outcome']['kind']> = Extract<Expectation['outcome'], { kind: K }>;

/** How long each request of the burst is held by the backend, ms. */
const HOLD_MS = 400;

/** The caller a burst goes through: its address and namespace, its access log. */
export type BurstCaller = Pick<Caller, 'namespace' | 'address'> & { log(): readonly AccessLogEntry[] | Promise<readonly AccessLogEntry[]> };

/** Most requests a burst through the host's routes sends at once. */
const MAX_ROUTED_BURST = 100;

/**
 * Requests at once so that the cluster with `share` (0..1] of a route's split gets more than
 * `admitted` of them with a margin of three standard deviations (binomial): 19 for limits of 15 on
 * one cluster, 28 for its 80 % cluster. Undefined when that is more than a proof sends.
 */
export function burstThroughSplit(admitted: number, share: number): number | undefined {
  if (share >= 1) return admitted + 4;
  for (let n = admitted + 4; n <= MAX_ROUTED_BURST; n++) {
    if (n * share - 3 * Math.sqrt(n * share * (1 - share)) >= admitted + 1) return n;
  }
  return undefined;
}

/** How a burst reaches the host's clusters. */
export interface BurstTarget {
  /** Clusters the caller pins (`x-meshproof-cluster`): each gets its own burst. @default none */
  readonly pinned?: readonly string[];
  /** Without pinned clusters, the largest share (0..1] of the split of the host's route for `GET /`, which sizes the burst. @default 1 */
  readonly largestShare?: number;
}

/**
 * Judges `o` with bursts through `caller` on `port`: one per cluster of `pinned` (each sent with
 * `x-meshproof-cluster: <cluster>`), or one through the host's routes, sized so that the cluster
 * with `largestShare` of the split overflows.
 */
export async function judgeCircuitBreakerWithTraffic(o: Of<'circuit-breaker'>, caller: BurstCaller, port: number, target: BurstTarget = {}): Promise<TrafficVerdict> {
  const limits = o.limits;
  const admitted = (limits.maxConnections ?? 1024) + (limits.http1MaxPendingRequests ?? 1024);
  if (admitted > 28) return { status: 'not-run', detail: `limits admit ${admitted} requests at once; a burst beyond that is more than a proof sends`, requests: 0 };
  const pinned = target.pinned ?? [];
  const share = pinned.length === 0 ? target.largestShare ?? 1 : 1;
  const n = burstThroughSplit(admitted, share);
  if (n === undefined) return { status: 'not-run', detail: `the host's route gives its largest cluster ${+(share * 100).toFixed(3)} % of requests: a burst that overflows its limits (${admitted} at once) is more than a proof sends (${MAX_ROUTED_BURST})`, requests: 0 };
  const request: RequestSpec = { host: o.destination.host, port, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace: caller.namespace } };
  const burst = async (cluster?: string) => {
    const sent = await sendMany(caller.address, port, request, n, () => ({ 'x-echo-delay-ms': String(HOLD_MS), ...(cluster ? { [PIN_HEADER]: cluster } : {}) }), n);
    await new Promise((r) => setTimeout(r, 50));
    const flags = new Map((await caller.log()).map((e) => [e.requestId, e.flags] as const));
    const overflowed = sent.filter((s) => s.status === 503 && s.overloaded === true && (flags.get(s.requestId) ?? []).includes('UO')).length;
    const served = sent.filter((s) => s.workload !== '').length;
    return { held: overflowed > 0 && served > 0, detail: `${overflowed} answered 503 UO (x-envoy-overloaded), ${served} reached a backend, ${n - overflowed - served} other` };
  };
  const head = `${n} requests at once (limits ${JSON.stringify(limits)})`;
  if (pinned.length === 0) {
    const r = await burst();
    const sized = share < 1 ? `, sized for the ${+(share * 100).toFixed(3)} % cluster of its split` : '';
    return { status: r.held ? 'held' : 'broken', detail: `${head} through the host's routes${sized}: ${r.detail}`, requests: n };
  }
  const results: { cluster: string; held: boolean; detail: string }[] = [];
  for (const cluster of pinned) results.push({ cluster, ...await burst(cluster) });
  return {
    status: results.every((r) => r.held) ? 'held' : 'broken',
    detail: `${head} to each cluster of the host: ${results.map((r) => `${r.cluster}: ${r.detail}`).join('; ')}`,
    requests: n * pinned.length,
  };
}
