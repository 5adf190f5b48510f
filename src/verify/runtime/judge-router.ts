/**
 * Traffic judgement of the router's own promises, the route timeout and the retries, on a route that
 * may inject a fault. Envoy's fault filter runs before the router (as in our proxy): a request it
 * aborts is answered at once (flag FI) and never reaches the router, so it is neither retried nor
 * timed out; a request it delays waits the delay (flag DI) and only then gets the whole timeout. So
 * the promises are proven on the requests the fault does not abort, the aborted ones counted apart;
 * at 100 % abort no request ever reaches the router and they are reported as not run.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_RETRY_ON, type MeshRetryPolicy } from '../../mesh/mesh-config.js';
import { retryOnRetriesStatus } from '../../mesh/retry-on.js';
import { perTryEnding, timeoutWindowMs, type AbortedShare, type Outcome, type RequestSpec } from '../expectations/types.js';
import type { TrafficVerdict } from '../report/types.js';
import type { EchoBackend } from './echo.js';
import { refused, refusedDetail } from './judge-shares.js';
import type { Sent } from './send.js';

type Of<K extends Outcome['kind']> = Extract<Outcome, { kind: K }>;
type Flags = ReadonlyMap<string, readonly string[]>;

/** What a router proof needs from its caller. */
export interface RouterEnv {
  readonly request: RequestSpec;
  /** One request with extra headers. */
  readonly one: (extra: Record<string, string>) => Promise<Sent>;
  readonly backends: readonly EchoBackend[];
  /** Envoy response flags of sent requests from the caller's access log. @default none known */
  readonly flagsOf?: (sent: readonly Sent[]) => Promise<Flags>;
  /** Longest single request a proof may wait for. */
  readonly maxWaitMs: number;
  /**
   * Retries the destination's inbound sidecar adds to each try its application answers 503 (its
   * inbound route's retry policy: MeshConfig `defaultInboundHttpRetryPolicy`); Istio's built-in
   * inbound policy retries only a request reset before it reached the application: 0. @default 0
   */
  readonly inboundRetries?: number;
  /** MeshConfig `defaultHttpRetryPolicy`: what a route that writes no `retries` gets (its per-try timeout may end a slow request first). @default Istio's (no per-try timeout) */
  readonly meshRetry?: MeshRetryPolicy;
}

const notRun = (detail: string, requests = 0): TrafficVerdict => ({ status: 'not-run', detail, requests });

/** Requests a router proof sends at most to see one the fault does not abort (and, for retries, one it aborts). */
export const MAX_ROUTER_SAMPLE = 30;

/** Chance a router proof accepts of seeing no request of a kind it looks for, by bad luck. */
const MISS = 1e-4;

/** Requests after which one of a kind that comes with `chance` (0..1) has been seen but for {@link MISS}, at most {@link MAX_ROUTER_SAMPLE}. */
function sampleSize(chance: number): number {
  if (chance >= 1) return 1;
  if (chance <= 0) return MAX_ROUTER_SAMPLE;
  return Math.min(MAX_ROUTER_SAMPLE, Math.max(1, Math.ceil(Math.log(MISS) / Math.log(1 - chance))));
}

/** A request the fault aborted: `a.status` with no backend's answer, and flag FI when the access log is read. */
const aborted = (s: Sent, a: AbortedShare | undefined, flags: Flags | undefined): boolean =>
  a !== undefined && s.status === a.status && s.workload === '' && !s.error && (!flags || (flags.get(s.requestId) ?? []).includes('FI'));

/** `2 tries each`, `no try`, or `tries 2, 2, 1` when they differ. */
function triesOf(xs: readonly number[]): string {
  if (xs.some((x) => x !== xs[0])) return `tries ${xs.join(', ')}`;
  if (xs[0] === 0) return xs.length === 1 ? 'no try' : 'no try at all';
  return `${xs[0]} tr${xs[0] === 1 ? 'y' : 'ies'}${xs.length > 1 ? ' each' : ''}`;
}

/** `1 try`, `2 tries`, `0 tries`. */
const plural = (n: number): string => `${n} tr${n === 1 ? 'y' : 'ies'}`;

/** How many tries of the request `id` (its `x-meshproof-request`) the backends saw. */
function triesSeen(env: RouterEnv, id: string): number {
  return env.backends.reduce((sum, b) => sum + (b.attempts.get(id) ?? 0), 0);
}

const allAborted = (a: AbortedShare, what: string): TrafficVerdict =>
  notRun(`the route's fault aborts every request (${a.status}, flag FI) before the router, so none ever ${what}; judged on the config`);

/**
 * A route timeout: a backend slower than it, through the caller, ends 504 UT at the timeout (plus the
 * fault's delay when it delayed the request), or when the per-try timeouts end it first
 * ({@link timeoutWindowMs}: the route's, or MeshConfig `defaultHttpRetryPolicy`'s for a route that
 * writes no `retries`; with no route timeout, `timeoutMs` 0, they alone): not later (1 s of slack
 * past the window) and not sooner (100 ms before it), so that it is this timer that ended it.
 */
export async function judgeTimeout(o: Of<'timeout'>, env: RouterEnv): Promise<TrafficVerdict> {
  const a = o.aborted;
  const d = o.delayed;
  const m = env.meshRetry;
  const meshPerTry = !o.perTry && !o.routeRetries && m ? perTryEnding({ attempts: m.attempts, perTryTimeoutMs: m.perTryTimeoutMs, retryOn: m.retryOn, backoffMs: m.backoffMs }, o.timeoutMs) : undefined;
  const perTry = o.perTry ?? meshPerTry;
  const w = timeoutWindowMs({ timeoutMs: o.timeoutMs, perTry });
  if (o.timeoutMs <= 0 && !perTry) return notRun('the promise names neither a route timeout nor per-try timeouts: no timer ends a slow request');
  if (a && a.percent >= 100) return allAborted(a, 'reaches the route timeout');
  if (w.to > env.maxWaitMs) return notRun(`a ${w.to} ms timeout is longer than a proof waits (${env.maxWaitMs} ms)`);
  if (d && d.percent >= 100 && d.delayMs + w.to > env.maxWaitMs) {
    return notRun(`every request first waits the fault's ${d.delayMs} ms delay, then the ${w.to} ms timeout: longer than a proof waits (${env.maxWaitMs} ms)`);
  }
  // Slower than the route timeout, or with none (0), than the per-try window: no timer but the promised one ends it.
  const slow = Math.max(o.timeoutMs, w.to) + 1500;
  const abortedFirst: Sent[] = [];
  let s: Sent | undefined;
  let flags: readonly string[] | undefined;
  let id = '';
  // One request at a time (each may take the whole timeout) until one is not aborted.
  for (let i = 0; i < sampleSize(1 - (a?.percent ?? 0) / 100); i++) {
    id = randomUUID();
    const sent = await env.one({ 'x-echo-delay-ms': String(slow), 'x-meshproof-request': id });
    if (refused(sent)) return refusedDetail(env.request, i + 1);
    const known = env.flagsOf ? await env.flagsOf([sent]) : undefined;
    if (aborted(sent, a, known)) { abortedFirst.push(sent); continue; }
    s = sent;
    flags = known ? known.get(sent.requestId) ?? [] : undefined;
    break;
  }
  const before = abortedFirst.length > 0 ? `; before it ${abortedFirst.length} aborted ${a!.status} (FI) at once, never reaching the router` : '';
  if (!s) return notRun(`all ${abortedFirst.length} requests sent were aborted ${a!.status} (FI) by the route's ${a!.percent} % fault, so none reached the route timeout`, abortedFirst.length);
  // A delayed request: flag DI in the access log, or (without it) an answer no sooner than the delay.
  // Without access-log flags, a request counts as delayed only when it ended no sooner than the delay plus the window.
  const delayedMs = d && (flags ? flags.includes('DI') : s.elapsedMs >= d.delayMs + w.from - 100) ? d.delayMs : 0;
  const from = w.from + delayedMs;
  const to = w.to + delayedMs;
  // The delay is served in full (the timeout starts after it), and the timer fires in its window, not before.
  const ok = s.status === 504 && s.elapsedMs <= to + 1000 && s.elapsedMs >= from - 100 && (!flags || flags.includes('UT'));
  const at = to - from >= 200 ? `${from} to ${to}` : `${from}`;
  const timer = perTry
    ? `${perTry.tries === 1 ? `the ${perTry.perTryTimeoutMs} ms per-try timeout (no timed-out try retried)` : `${perTry.tries} tries of ${perTry.perTryTimeoutMs} ms${perTry.backoffMaxMs && to - from >= 200 ? ` with up to ${perTry.backoffMaxMs} ms of back-off` : ''}`}${meshPerTry ? ' (MeshConfig defaultHttpRetryPolicy: the route writes no retries)' : ''}${o.timeoutMs > 0 ? `, before the ${o.timeoutMs} ms route timeout` : ' (the route has no timeout)'}`
    : `the ${o.timeoutMs} ms timeout`;
  const promised = delayedMs > 0 ? `promised 504 UT at ${at} ms: the fault's ${delayedMs} ms delay (DI), then ${timer}` : `promised 504 UT at ${at} ms: ${timer}`;
  return {
    status: ok ? 'held' : 'broken',
    detail: `a backend needing ${slow} ms: ${s.status || s.error}${flags ? ` (flags ${flags.join(',') || '-'})` : ''} after ${Math.round(s.elapsedMs)} ms (${promised})${before}${ok ? '' : `; the backends saw ${plural(triesSeen(env, id))} of it`}`,
    requests: abortedFirst.length + 1,
  };
}

/**
 * Retries: a backend answering 503 sees 1 + `attempts` tries of a request the fault does not abort
 * (times 1 + `inboundRetries` when the destination's inbound sidecar retries a 503 as well),
 * and none of one it aborts. With a partial abort, requests go one at a time until one got through
 * (asked to fail) and one was aborted; after the first that got through they no longer ask to fail,
 * since every failing try counts toward outlier detection, which would eject the endpoint.
 */
export async function judgeRetries(o: Of<'retries'>, env: RouterEnv): Promise<TrafficVerdict> {
  const a = o.aborted;
  if (a && a.percent >= 100) return allAborted(a, 'reaches the router to be retried');
  // Without retryOn Istio's default policy applies: retriable-status-codes with no code (Istio >= 1.24 dropped
  // its 503), so nothing an answering backend sends is retried; a 503 is retried by 5xx, gateway-error or 503.
  const retryOn = o.retryOn ?? DEFAULT_RETRY_ON.split(',');
  if (!retryOnRetriesStatus(retryOn, 503)) return notRun(`retryOn ${retryOn.join(',')}${o.retryOn ? '' : ' (Istio\'s default: no status code since Istio 1.24)'} has no condition an echo backend can trigger (5xx, gateway-error, 503)`);
  // Each try the caller's router makes reaches the destination's inbound sidecar, which may retry it too.
  const inbound = env.inboundRetries ?? 0;
  const want = (o.attempts + 1) * (inbound + 1);
  const promised = `promised ${want}: 1 + ${o.attempts} retries${inbound > 0 ? `, each tried ${inbound + 1} times by the destination's inbound sidecar (MeshConfig defaultInboundHttpRetryPolicy retries a 503 ${inbound === 1 ? 'once' : `${inbound} times`})` : ''}`;
  let proof: { s: Sent; tries: number; flags: readonly string[] | undefined } | undefined;
  const cut: number[] = [];
  let sent = 0;
  // Enough that one gets through and, with a partial abort, one is aborted.
  const most = a ? Math.max(sampleSize(1 - a.percent / 100), sampleSize(a.percent / 100)) : 1;
  while (sent < most && !(proof && (!a || cut.length > 0))) {
    const id = randomUUID();
    const s = await env.one({ ...(proof ? {} : { 'x-echo-status': '503' }), 'x-meshproof-request': id });
    sent++;
    if (refused(s)) return refusedDetail(env.request, sent);
    const known = env.flagsOf ? await env.flagsOf([s]) : undefined;
    if (aborted(s, a, known)) cut.push(triesSeen(env, id));
    else if (!proof) proof = { s, tries: triesSeen(env, id), flags: known ? known.get(s.requestId) ?? [] : undefined };
  }
  if (!proof) return notRun(`all ${sent} requests sent were aborted ${a!.status} (FI) by the route's ${a!.percent} % fault, so none reached the router to be retried`, sent);
  const { s, tries, flags } = proof;
  const caller = `${s.status || s.error}${flags ? ` (flags ${flags.join(',') || '-'})` : ''}`;
  const ok = tries === want && cut.every((t) => t === 0);
  if (!a) return { status: ok ? 'held' : 'broken', detail: `a backend answering 503: it saw ${triesOf([tries])} (${promised}); the caller got ${caller}`, requests: 1 };
  const aborts = cut.length === 0 ? `none of the ${sent} requests sent was aborted by the route's ${a.percent} % fault`
    : `${cut.length} of the ${sent} requests sent ${cut.length === 1 ? 'was' : 'were'} aborted ${a.status} (FI) by the route's ${a.percent} % fault, and the backend saw ${triesOf(cut)} of them (promised 0: an abort is answered before the router, never retried)`;
  return {
    status: ok ? 'held' : 'broken',
    detail: `a backend answering 503: a request not aborted, it saw ${triesOf([tries])} (${promised}); the caller got ${caller}; ${aborts}`,
    requests: sent,
  };
}
