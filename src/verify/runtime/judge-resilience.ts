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
 * through the host's routes.
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

/**
 * Judges `o` with bursts through `caller` on `port`: one per cluster of `pinned` (each sent with
 * `x-meshproof-cluster: <cluster>`), or one through the host's routes when `pinned` is empty.
 */
export async function judgeCircuitBreakerWithTraffic(o: Of<'circuit-breaker'>, caller: BurstCaller, port: number, pinned: readonly string[] = []): Promise<TrafficVerdict> {
  const limits = o.limits;
  const admitted = (limits.maxConnections ?? 1024) + (limits.http1MaxPendingRequests ?? 1024);
  if (admitted > 28) return { status: 'not-run', detail: `limits admit ${admitted} requests at once; a burst beyond that is more than a proof sends`, requests: 0 };
  const n = admitted + 4;
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
    return { status: r.held ? 'held' : 'broken', detail: `${head} through the host's routes: ${r.detail}`, requests: n };
  }
  const results: { cluster: string; held: boolean; detail: string }[] = [];
  for (const cluster of pinned) results.push({ cluster, ...await burst(cluster) });
  return {
    status: results.every((r) => r.held) ? 'held' : 'broken',
    detail: `${head} to each cluster of the host: ${results.map((r) => `${r.cluster}: ${r.detail}`).join('; ')}`,
    requests: n * pinned.length,
  };
}
