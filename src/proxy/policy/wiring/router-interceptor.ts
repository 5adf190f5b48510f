/**
 * The router policies as one `RouterInterceptor` around the core's upstream attempt, in Envoy's
 * router order: circuit breaker (`max_requests`, then for HTTP/1.1 a connection slot or a place in
 * the pending queue), mirrors fired once, then attempts with per-try timeout, outlier detection fed
 * with every result, and retries with backoff and `x-envoy-attempt-count`. Compiled per route when
 * the route table arrives; the core caches the composed chain per route.
 */
import { Readable } from 'node:stream';
import type { HeaderMutation } from '../../header-mutation.js';
import type { Exchange, Forward, ResponseFlag, RouterInterceptor, UpstreamResponse } from '../../http/pipeline.js';
import { UpstreamError } from '../../http/pipeline.js';
import type { ForwardDecision } from '../../route-select.js';
import type { CompiledRoute } from '../../route-table.js';
import type { Clock, RandomSource } from '../_common.js';
import { OVERFLOW_REPLY } from '../circuit-breaker.js';
import { compileMirrorPolicies, mirrorTargets, type CompiledMirror } from '../mirror.js';
import { ATTEMPT_COUNT_HEADER, compileRetryPolicy, RetryState, type AttemptOutcome, type CompiledRetryPolicy } from '../retry.js';
import { attemptTimer, compileRouteTimeouts, finalTimeout, type RouteTimeouts } from '../timeout.js';
import { HASH_RESULT, RETRY_STATE, SHADOW, type ClusterPolicies, type ClusterPolicy } from './cluster-state.js';
import type { HashResult } from '../hash-policy.js';

/** Envoy's default `per_request_buffer_limit_bytes` for retries and shadows is the listener buffer (1 MiB). */
const BUFFER_LIMIT = 1024 * 1024;

interface RoutePolicies {
  readonly retry: CompiledRetryPolicy | undefined;
  readonly timeouts: RouteTimeouts;
  readonly mirrors: readonly CompiledMirror[];
}

const overflow = () => new UpstreamError('UO', OVERFLOW_REPLY.status, OVERFLOW_REPLY.body, undefined, ['x-envoy-overloaded', 'true']);
const attemptHeader = (n: number): HeaderMutation => ({ remove: [], add: [{ name: ATTEMPT_COUNT_HEADER, value: String(n), action: 'overwrite-or-add' }] });
const flag = (ex: Exchange, f: ResponseFlag) => { if (!ex.flags.includes(f)) ex.flags.push(f); };

/** Resolves after `ms`, early (rejecting) when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal.reason); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Reads the request body so attempts and shadows can replay it. Over the limit, the body is handed
 * on as a stream of what was read plus the rest, and `replayable` is false (Envoy: no retry then).
 */
async function bufferBody(ex: Exchange): Promise<boolean> {
  const b = ex.body;
  if (b === null || Buffer.isBuffer(b)) return true;
  const chunks: Buffer[] = [];
  let size = 0;
  const it = b[Symbol.asyncIterator]();
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    chunks.push(c);
    size += c.length;
    if (size > BUFFER_LIMIT) {
      ex.body = Readable.from((async function* () { yield* chunks; for (let n = await it.next(); !n.done; n = await it.next()) yield n.value as Buffer; })());
      return false;
    }
  }
  ex.body = Buffer.concat(chunks);
  return true;
}

/** A view of `ex` for one attempt with its own abort signal; writes go to the exchange. */
function withSignal(ex: Exchange, signal: AbortSignal): Exchange {
  return new Proxy(ex, { get: (t, p) => (p === 'signal' ? signal : Reflect.get(t, p, t)) });
}

/** A detached copy for a mirror: own signal and state, writes kept to itself. */
function shadowOf(ex: Exchange, signal: AbortSignal): Exchange {
  const own: Record<string | symbol, unknown> = { signal, state: new Map([[SHADOW, true]]), flags: [] };
  return new Proxy(ex, {
    get: (t, p) => (p in own ? own[p] : Reflect.get(t, p, t)),
    set: (_t, p, v) => { own[p] = v; return true; },
  });
}

/** Envoy maps a gRPC status in a 2xx trailers-only response to an HTTP code for outlier detection. */
function outlierStatus(r: UpstreamResponse): number {
  if (r.status >= 500) return r.status;
  for (let i = 0; i < r.headers.length; i += 2) {
    if (r.headers[i] === 'grpc-status') {
      const g = Number(r.headers[i + 1]);
      return g === 14 ? 503 : g === 4 ? 504 : g === 12 ? 501 : g === 13 || g === 2 || g === 15 ? 500 : r.status;
    }
  }
  return r.status;
}

function headerBag(flat: readonly string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
  return o;
}

/** Releases `done` once when the response body ends or is thrown away. */
function onFinish(r: UpstreamResponse, done: () => void): UpstreamResponse {
  let fired = false;
  const once = () => { if (!fired) { fired = true; done(); } };
  return {
    status: r.status, headers: r.headers, host: r.host,
    pipe: (sink) => r.pipe(sink).finally(once),
    dump: () => { r.dump(); once(); },
  };
}

/** Takes an HTTP/1.1 connection slot, waiting in the pending queue when all are busy; throws UO on overflow. */
async function connectionSlot(cp: ClusterPolicy, signal: AbortSignal): Promise<() => void> {
  const cb = cp.breaker;
  const release = () => {
    const next = cp.waiters.shift();
    if (next) next(); else cb.connections.release();
  };
  if (cb.connections.tryAcquire()) return release;
  if (!cb.pending.tryAcquire()) throw overflow();
  try {
    await new Promise<void>((resolve, reject) => {
      const wake = () => { signal.removeEventListener('abort', onAbort); resolve(); };
      const onAbort = () => { const i = cp.waiters.indexOf(wake); if (i >= 0) cp.waiters.splice(i, 1); reject(signal.reason); };
      cp.waiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  } finally {
    cb.pending.release();
  }
  return release;
}

/**
 * Compiles a route's policies (the virtual host's retry policy applies when the route has none, as
 * Envoy). A config the units refuse becomes an error every request answers with (503, details
 * naming the field), never an exception in the request path.
 */
function compileRoutePolicies(route: CompiledRoute, d: ForwardDecision): RoutePolicies | UpstreamError {
  const action = d.action;
  try {
    const retry = compileRetryPolicy(action.retryPolicy ?? d.virtualHost.source.retryPolicy);
    return { retry, timeouts: compileRouteTimeouts(action, retry), mirrors: compileMirrorPolicies(action.requestMirrorPolicies) };
  } catch (e) {
    return new UpstreamError('NC', 503, `route "${route.name}": policy config not applicable: ${(e as Error).message}`);
  }
}

/** Builds the interceptor. `random` draws backoff, mirror fractions; `clock` times per-try and gRPC deadlines. */
export function routerPolicies(clusters: ClusterPolicies, random: RandomSource, clock: Clock): RouterInterceptor {
  return (route: CompiledRoute, next: Forward): Forward | undefined => {
    if (route.source.action.case !== 'route') return undefined;
    let p: RoutePolicies | UpstreamError | undefined;
    return (ex, d) => {
      if (ex.state.has(SHADOW)) return next(ex, d);
      p ??= compileRoutePolicies(route, d);
      return p instanceof UpstreamError ? Promise.reject(p) : run(ex, d, p, next, clusters, random, clock);
    };
  };
}

async function run(ex: Exchange, d: ForwardDecision, p: RoutePolicies, next: Forward, clusters: ClusterPolicies, random: RandomSource, clock: Clock): Promise<UpstreamResponse> {
  const cp = clusters.get(d.cluster);
  if (cp && !cp.breaker.requests.tryAcquire()) throw overflow();
  let handedOff = false;
  try {
    const needsBody = p.retry !== undefined || p.mirrors.length > 0;
    const replayable = needsBody ? await bufferBody(ex) : false;
    if (p.mirrors.length > 0) sendMirrors(ex, d, p, next, random);
    const grpc = String(ex.headers['content-type'] ?? '').startsWith('application/grpc');
    const plan = finalTimeout(p.timeouts, { headers: ex.headers, grpc });
    const rs = p.retry && replayable ? new RetryState(p.retry, random, cp?.breaker) : undefined;
    if (rs) ex.state.set(RETRY_STATE, rs);
    const countAttempts = d.virtualHost.source.includeRequestAttemptCount;
    const start = clock();
    try {
      for (;;) {
        const dd = countAttempts ? { ...d, requestHeaders: [...d.requestHeaders, attemptHeader(rs?.attemptCount ?? 1)] } : d;
        const r = await attempt(ex, dd, plan, plan.globalMs === p.timeouts.timeoutMs, start, cp, next, clock);
        if (ex.upstreamHost) rs?.onHostAttempted(ex.upstreamHost.key);
        if ('error' in r && (r.global || !rs)) throw r.error;
        const outcome = (): AttemptOutcome => ('error' in r ? r.outcome : { status: r.response.status, headers: headerBag(r.response.headers) });
        const decision = rs ? rs.shouldRetry(outcome()) : { retry: false as const, why: 'not-retriable' as const };
        if (decision.retry) {
          if (!('error' in r)) r.response.dump();
          await sleep(decision.backoffMs, ex.signal);
          continue;
        }
        if (decision.why === 'limit-exceeded') flag(ex, 'URX');
        else if (decision.why === 'overflow') flag(ex, 'UO');
        if ('error' in r) throw r.error;
        const setCookie = (ex.state.get(HASH_RESULT) as HashResult | undefined)?.setCookie;
        if (setCookie) r.response.headers.push('set-cookie', setCookie);
        if (d.virtualHost.source.includeAttemptCountInResponse) r.response.headers.push(ATTEMPT_COUNT_HEADER, String(rs?.attemptCount ?? 1));
        handedOff = true;
        return cp ? onFinish(r.response, () => cp.breaker.requests.release()) : r.response;
      }
    } finally {
      rs?.finish();
    }
  } finally {
    if (!handedOff) cp?.breaker.requests.release();
  }
}

type AttemptResult = { response: UpstreamResponse } | { error: UpstreamError; outcome: AttemptOutcome; global: boolean };

/** One attempt under the per-try (or remaining gRPC/global) timer, holding an HTTP/1.1 connection slot; feeds outlier detection. */
async function attempt(ex: Exchange, d: ForwardDecision, plan: ReturnType<typeof finalTimeout>, coreTimesGlobal: boolean, start: number, cp: ClusterPolicy | undefined, next: Forward, clock: Clock): Promise<AttemptResult> {
  let timer = attemptTimer(plan, clock() - start);
  // The core times the route timeout itself; a timer here only for per-try and gRPC/header deadlines.
  if (timer.kind === 'global' && coreTimesGlobal) timer = { ms: undefined, kind: 'global' };
  let view = ex;
  let ctl: AbortController | undefined;
  let t: NodeJS.Timeout | undefined;
  if (timer.ms !== undefined) {
    ctl = new AbortController();
    const c = ctl;
    const err = new UpstreamError('UT', 504, 'upstream request timeout');
    t = setTimeout(() => c.abort(err), timer.ms);
    view = withSignal(ex, AbortSignal.any([ex.signal, c.signal]));
  }
  const h1 = cp && (cp.http1 === true || (cp.http1 === 'downstream' && ex.downstream.protocol !== 'HTTP/2'));
  let release: (() => void) | undefined;
  try {
    if (h1) release = await connectionSlot(cp, view.signal);
    const response = await next(view, d);
    cp?.outlier && ex.upstreamHost && feedStatus(cp, ex, outlierStatus(response));
    const r = release ? onFinish(response, release) : response;
    release = undefined;
    return { response: r };
  } catch (e) {
    if (ex.signal.aborted) throw ex.signal.reason instanceof Error ? ex.signal.reason : e;
    const timedOut = ctl?.signal.aborted === true;
    const error = timedOut ? (ctl!.signal.reason as UpstreamError) : e instanceof UpstreamError ? e : new UpstreamError('UC', 503, (e as Error).message);
    if (error.flag === 'UO') return { error, outcome: { reset: 'overflow' }, global: true };
    if (cp?.outlier && ex.upstreamHost && error.flag !== 'UH' && error.flag !== 'NC') {
      const host = cp.byUpstream.get(ex.upstreamHost);
      if (host) cp.outlier.putLocalResult(host, timedOut ? 'timeout' : 'connect-failed');
    }
    if (timedOut) return { error, outcome: { reset: 'per-try-timeout' }, global: timer.kind === 'global' };
    if (error.flag === 'UH' || error.flag === 'NC') return { error, outcome: { reset: 'overflow' }, global: true };
    return { error, outcome: { reset: error.flag === 'UF' ? 'connect-failure' : 'connection-termination' }, global: false };
  } finally {
    clearTimeout(t);
    release?.();
  }
}

function feedStatus(cp: ClusterPolicy, ex: Exchange, status: number): void {
  const host = cp.byUpstream.get(ex.upstreamHost!);
  if (host) cp.outlier!.putHttpStatus(host, status);
}

/** Fires the route's mirrors: each copy goes through the core attempt to its cluster, response dumped, errors ignored. */
function sendMirrors(ex: Exchange, d: ForwardDecision, p: RoutePolicies, next: Forward, random: RandomSource): void {
  const body = ex.body;
  if (body !== null && !Buffer.isBuffer(body)) return;
  const limit = p.timeouts.timeoutMs > 0 ? p.timeouts.timeoutMs : 30_000;
  for (const target of mirrorTargets(p.mirrors, ex.headers, ex.authority, random)) {
    // The copy's deadline aborts with an UpstreamError, as the core's own timers do.
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new UpstreamError('UT', 504, 'upstream request timeout')), limit);
    timer.unref();
    const copy = shadowOf(ex, ctl.signal);
    copy.body = body;
    next(copy, { ...d, cluster: target.cluster, authority: target.authority }).then(
      (r) => { clearTimeout(timer); r.dump(); },
      () => clearTimeout(timer),
    );
  }
}
