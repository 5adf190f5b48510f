/**
 * Traffic judgement of one mesh expectation through a caller sidecar: the requests it takes, and
 * whether what came back keeps the promise. Shares are judged with the exact binomial test
 * (`stats.ts`); sample sizes follow from the tolerance.
 */
import type { Expectation, RequestSpec } from '../expectations/types.js';
import type { TrafficVerdict } from '../report/types.js';
import type { EchoBackend } from './echo.js';
import type { HostWorkloads } from './host-workloads.js';
import { sendManyWith } from './gateway-client.js';
import { judgeRetries, judgeTimeout, type RouterEnv } from './judge-router.js';
import { abortedOf, abortedShare, delayTooLong, judgeAbort, judgeDelay, judgeMirror, judgeSplit, lands, reachedApp, refusalNote, type ShareEnv } from './judge-shares.js';
import type { Refusal } from '../static/refusal.js';
import { send, sendMany, type Sent } from './send.js';
import type { MeshRetryPolicy } from '../../mesh/mesh-config.js';

export interface JudgeEnv {
  readonly address: string;
  readonly port: number;
  readonly backends: readonly EchoBackend[];
  readonly confidence: number;
  readonly tolerance: number;
  /** Requests in flight at once: 1 where the destination's circuit breakers would trip. */
  readonly concurrency: number;
  /**
   * Names the workload of requests an inbound sidecar refused (403, no echo backend answered) from
   * the caller's access log (its upstream host), so a routing proof still sees where routing sent
   * them. @default identity
   */
  readonly attribute?: (sent: Sent[]) => Promise<Sent[]>;
  /** Retries the destination's inbound sidecar adds to a try its application answers 503 (`RouterEnv.inboundRetries`). @default 0 */
  readonly inboundRetries?: number;
  /** MeshConfig `defaultHttpRetryPolicy` (`RouterEnv.meshRetry`). @default Istio's */
  readonly meshRetry?: MeshRetryPolicy;
  /** Envoy response flags of sent requests from the caller's access log, by `x-request-id`. @default none known */
  readonly flagsOf?: (sent: readonly Sent[]) => Promise<ReadonlyMap<string, readonly string[]>>;
  /** The workloads each host's Services select, so a request answered by another service's workload of the same version does not count as landing. @default namespace and version only */
  readonly hostWorkloads?: HostWorkloads;
  /**
   * The refusal the config foresees at the destination's sidecars (`routeRefusal`): a 403 from
   * them counts as reaching the destination only when it is the probe's own (`request`) or promised
   * (`promised`); otherwise it breaks the promise, saying why. @default none foreseen
   */
  readonly refusal?: Refusal | null;
  /** Sends one request another way than plain HTTP to `address:port` (through the ingress gateway, over TLS). @default plain HTTP/1.1 */
  readonly send?: (request: RequestSpec, extra: Record<string, string>) => Promise<Sent>;
}

/** Longest single request a proof may wait for (timeouts, delays): longer promises are reported, not run. */
const MAX_WAIT_MS = 4000;

const notRun = (detail: string): TrafficVerdict => ({ status: 'not-run', detail, requests: 0 });

/** Most requests a `reaches` judgement sends to see about 20 routed past a partial fault abort. */
const MAX_ABORTED_SAMPLE = 200;

/** Rounds a `reaches` judgement re-sends requests that timed out (504, no backend answered). */
const TIMEOUT_RETRY_ROUNDS = 3;

/** A request that ended in a gateway timeout with no backend's answer (Envoy response flag UT). */
const timedOut = (s: Sent): boolean => s.status === 504 && s.workload === '' && s.deniedBy === undefined;

/**
 * `20× 200 orders/cart-v1, 3× 503 UF (no backend)`: where answers came from. A proxy's own answer
 * (no echo backend) carries its Envoy response flags from the caller's access log when known.
 */
function tally(sent: readonly Sent[], flags?: ReadonlyMap<string, readonly string[]>): string {
  const counts = new Map<string, number>();
  for (const s of sent) {
    const f = flags?.get(s.requestId)?.join(',');
    const k = s.deniedBy !== undefined ? `${s.status} RBAC: access denied at ${s.workload}` : s.workload !== '' ? `${s.status} ${s.workload}` : s.error ? `error ${s.error}` : `${s.status}${f ? ` ${f}` : ''} (no backend)`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => `${v}× ${k}`).join(', ');
}

/** Judges `e` with requests; `request` is its spec with the port resolved. */
export async function judgeWithTraffic(e: Expectation, request: RequestSpec, env: JudgeEnv): Promise<TrafficVerdict> {
  const o = e.outcome;
  const { address, port } = env;
  const attribute = env.attribute ?? (async (s: Sent[]) => s);
  const flagsOf = env.flagsOf;
  const one = (extra: Record<string, string> = {}) => (env.send ? env.send(request, extra) : send(address, port, request, extra));
  const many = (n: number, extra: (i: number) => Record<string, string> = () => ({}), concurrency = env.concurrency) => (env.send
    ? sendManyWith((i) => env.send!(request, extra(i)), n, concurrency) : sendMany(address, port, request, n, extra, concurrency));
  const router: RouterEnv = { request, one, backends: env.backends, ...(flagsOf ? { flagsOf } : {}), maxWaitMs: MAX_WAIT_MS, ...(env.inboundRetries ? { inboundRetries: env.inboundRetries } : {}), ...(env.meshRetry ? { meshRetry: env.meshRetry } : {}) };
  const shares: ShareEnv = {
    confidence: env.confidence, tolerance: env.tolerance, many: (n, extra, concurrency) => many(n, extra, concurrency), attribute, ...(flagsOf ? { flagsOf } : {}), backends: env.backends,
    ...(env.hostWorkloads ? { hostWorkloads: env.hostWorkloads } : {}), ...(env.refusal ? { refusal: env.refusal } : {}),
  };
  switch (o.kind) {
    case 'reaches': {
      const a = o.aborted;
      // A partial fault abort answers its share itself: enough are sent that about 20 are routed.
      const n = a ? Math.min(MAX_ABORTED_SAMPLE, Math.ceil(20 / Math.max(0.05, 1 - a.percent / 100))) : 20;
      const first = await attribute(await many(n));
      const aborted = a ? (await abortedOf(first, a, flagsOf)).ids : new Set<string>();
      let sent = first.filter((s) => !aborted.has(s.requestId));
      // A 504 no backend answered is a timeout (Envoy UT), not a route: on a loaded machine a starved
      // backend times out now and then. Those are sent again, one at a time, up to three rounds;
      // timeouts that persist (a fault delay past the route timeout) still break the promise.
      for (let round = 0; round < TIMEOUT_RETRY_ROUNDS && sent.some(timedOut); round++) {
        const again = await attribute(await many(sent.filter(timedOut).length, undefined, 1));
        sent = [...sent.filter((s) => !timedOut(s)), ...again];
      }
      // Aborts are judged as a share of the first n (a re-sent timeout may be aborted too: it stays in the tally).
      const share = a ? abortedShare(a, aborted.size, n, env.confidence) : undefined;
      const ok = sent.length > 0 && sent.every((s) => lands(s, o.destination, env.hostWorkloads) && reachedApp(s, env.refusal)) && (share?.holds ?? true);
      const all = [...first.filter((s) => aborted.has(s.requestId)), ...sent];
      // Answers no app gave (a proxy's local reply: NR, UH, UF, UO, FI…) name their response flags.
      const proxyAnswers = all.filter((s) => s.workload === '' && !s.error);
      const flags = (!ok || a) && flagsOf && proxyAnswers.length > 0 ? await flagsOf(proxyAnswers) : undefined;
      return { status: ok ? 'held' : 'broken', detail: `${tally(all, flags)}${share?.detail ?? ''}${refusalNote(sent, env.refusal, (s) => lands(s, o.destination, env.hostWorkloads))}`, requests: all.length };
    }
    case 'split':
      return judgeSplit(o, shares);
    case 'abort':
      return judgeAbort(o, shares);
    case 'status': {
      const sent = await many(10);
      const ok = sent.every((s) => s.status === o.status);
      return { status: ok ? 'held' : 'broken', detail: tally(sent), requests: sent.length };
    }
    case 'timeout':
      return judgeTimeout(o, router);
    case 'retries':
      return judgeRetries(o, router);
    case 'mirror':
      return judgeMirror(o, request, shares);
    case 'delay': {
      if (o.delayMs > MAX_WAIT_MS || o.percent < 5) return notRun(`a ${o.delayMs} ms delay on ${o.percent} % of requests needs more waiting than a proof spends`);
      const tooLong = delayTooLong(o, shares);
      return tooLong ? notRun(tooLong) : judgeDelay(o, shares);
    }
    default:
      return notRun(`${o.kind} proofs need what this runtime does not start yet (inbound sidecars with mTLS and RBAC, the ingress gateway with its certificates, concurrency and failure injection)`);
  }
}
