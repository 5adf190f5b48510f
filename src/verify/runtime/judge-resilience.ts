/**
 * Traffic judgement of circuit breaking (Istio `connectionPool`, Envoy `circuit_breakers`): through
 * a fresh caller sidecar, more slow requests at once than the limits admit
 * (`maxConnections` + `http1MaxPendingRequests` + 4, each held 400 ms by the echo backend). The
 * promise holds when some are answered 503 by the caller with `x-envoy-overloaded` and response
 * flag `UO` in its access log, and some still reach the backend.
 */
import type { Expectation, RequestSpec } from '../expectations/types.js';
import type { TrafficVerdict } from '../report/types.js';
import type { AccessLogEntry } from '../../proxy/access-log.js';
import type { Caller } from './mesh.js';
import { sendMany } from './send.js';

type Of<K extends Expectation['outcome']['kind']> = Extract<Expectation['outcome'], { kind: K }>;

/** How long each request of the burst is held by the backend, ms. */
const HOLD_MS = 400;

export async function judgeCircuitBreakerWithTraffic(o: Of<'circuit-breaker'>, caller: Pick<Caller, 'namespace' | 'address'> & { log(): readonly AccessLogEntry[] | Promise<readonly AccessLogEntry[]> }, port: number): Promise<TrafficVerdict> {
  const limits = o.limits;
  const admitted = (limits.maxConnections ?? 1024) + (limits.http1MaxPendingRequests ?? 1024);
  if (admitted > 28) return { status: 'not-run', detail: `limits admit ${admitted} requests at once; a burst beyond that is more than a proof sends`, requests: 0 };
  const n = admitted + 4;
  const request: RequestSpec = { host: o.destination.host, port, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace: caller.namespace } };
  const sent = await sendMany(caller.address, port, request, n, () => ({ 'x-echo-delay-ms': String(HOLD_MS) }), n);
  await new Promise((r) => setTimeout(r, 50));
  const flags = new Map((await caller.log()).map((e) => [e.requestId, e.flags] as const));
  const overflowed = sent.filter((s) => s.status === 503 && s.overloaded === true && (flags.get(s.requestId) ?? []).includes('UO')).length;
  const served = sent.filter((s) => s.workload !== '').length;
  const detail = `${n} requests at once (limits ${JSON.stringify(limits)}): ${overflowed} answered 503 UO (x-envoy-overloaded), ${served} reached a backend, ${n - overflowed - served} other`;
  return { status: overflowed > 0 && served > 0 ? 'held' : 'broken', detail, requests: n };
}
