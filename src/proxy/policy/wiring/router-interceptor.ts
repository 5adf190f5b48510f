/**
 * The router policies as one `RouterInterceptor` around the core's upstream attempt, in Envoy's
 * router order: circuit breaker (`max_requests`, then for HTTP/1.1 a connection slot or a place in
 * the pending queue), mirrors fired once, then attempts with per-try timeout, outlier detection fed
 * with every result, and retries with backoff and `x-envoy-attempt-count`. Compiled per route when
 * the route table arrives; the core caches the composed chain per route.
 *
 * It runs on every forwarded request (Istio puts a retry policy on every route), so the common path
 * stays synchronous up to the core's attempt: no await before it when the body is already buffered
 * (or absent) and a connection slot is free, no timer or AbortSignal unless a per-try, gRPC or
 * header deadline needs one, one {@link RouterCall} per request whose two callbacks serve every
 * attempt, and one wrapper per response releasing its circuit-breaker resources.
 */
import type { Exchange, Forward, ResponseFlag, RouterInterceptor, UpstreamResponse } from '../../http/pipeline.js';
import { UpstreamError } from '../../http/pipeline.js';
import type { ForwardDecision } from '../../route-select.js';
import type { CompiledRoute } from '../../route-table.js';
import type { Clock, RandomSource } from '../_common.js';
import type { HashResult } from '../hash-policy.js';
import { compileMirrorPolicies, mirrorTargets, type CompiledMirror } from '../mirror.js';
import { ATTEMPT_COUNT_HEADER, compileRetryPolicy, RetryState, type AttemptOutcome, type CompiledRetryPolicy } from '../retry.js';
import { attemptTimer, compileRouteTimeouts, finalTimeout, type RouteTimeouts, type TimeoutPlan } from '../timeout.js';
import { isShadow, type ClusterPolicies, type ClusterPolicy } from './cluster-state.js';
import {
  bufferBody, outlierStatus, overflow, ReleasingResponse, releaseConnectionSlot, responseOutcome, shadowOf, sleep,
  tryConnectionSlot, waitConnectionSlot, withSignal,
} from './router-attempt.js';

interface RoutePolicies {
  readonly retry: CompiledRetryPolicy | undefined;
  readonly timeouts: RouteTimeouts;
  readonly mirrors: readonly CompiledMirror[];
  /** Retries or mirrors replay the request body. */
  readonly needsBody: boolean;
  /** Virtual host `include_request_attempt_count`. */
  readonly countAttempts: boolean;
  /** Virtual host `include_attempt_count_in_response`. */
  readonly attemptCountInResponse: boolean;
}

const flag = (ex: Exchange, f: ResponseFlag) => { if (!ex.flags.includes(f)) ex.flags.push(f); };

const OVERFLOW: AttemptOutcome = Object.freeze({ reset: 'overflow' });
const PER_TRY_TIMEOUT: AttemptOutcome = Object.freeze({ reset: 'per-try-timeout' });
// A connection that never came up carried no byte of the request: Envoy's `upstream_request_started` is false, so
// `reset-before-request` (Istio's inbound retry condition) retries it (`RetryStateImpl::wouldRetryFromReset`).
const CONNECT_FAILURE: AttemptOutcome = Object.freeze({ reset: 'connect-failure', requestSent: false });
const TERMINATION: AttemptOutcome = Object.freeze({ reset: 'connection-termination' });

/**
 * Compiles a route's policies (the virtual host's retry policy applies when the route has none, as
 * Envoy). A config the units refuse becomes an error every request answers with (503, details
 * naming the field), never an exception in the request path.
 */
function compileRoutePolicies(route: CompiledRoute, d: ForwardDecision): RoutePolicies | UpstreamError {
  const action = d.action;
  const vh = d.virtualHost.source;
  try {
    const retry = compileRetryPolicy(action.retryPolicy ?? vh.retryPolicy);
    const mirrors = compileMirrorPolicies(action.requestMirrorPolicies);
    return {
      retry, timeouts: compileRouteTimeouts(action, retry), mirrors, needsBody: retry !== undefined || mirrors.length > 0,
      countAttempts: vh.includeRequestAttemptCount, attemptCountInResponse: vh.includeAttemptCountInResponse,
    };
  } catch (e) {
    return new UpstreamError('NC', 503, `route "${route.name}": policy config not applicable: ${(e as Error).message}`);
  }
}

/** Builds the interceptor. `random` draws backoff, mirror fractions; `clock` times per-try and gRPC deadlines. */
export function routerPolicies(clusters: ClusterPolicies, random: RandomSource, clock: Clock): RouterInterceptor {
  return (route: CompiledRoute, next: Forward): Forward | undefined => {
    if (route.source.action.case !== 'route') return undefined;
    let p: RoutePolicies | UpstreamError | undefined;
    return function routerPolicy(ex, d) {
      if (isShadow(ex)) return next(ex, d);
      p ??= compileRoutePolicies(route, d);
      if (p instanceof UpstreamError) return Promise.reject(p);
      const cp = clusters.get(d.cluster);
      if (cp && !cp.breaker.requests.tryAcquire()) return Promise.reject(overflow());
      const call = new RouterCall(ex, d, p, cp, next, random, clock);
      const b = ex.body;
      if (p.needsBody && b !== null && !Buffer.isBuffer(b)) return call.bufferThenBegin();
      return call.begin(p.needsBody);
    };
  };
}

/**
 * One downstream request through the router: the attempts, the retry state and the resources held
 * (`max_requests` from the start until the response body is done; an HTTP/1.1 connection slot per
 * attempt). `onResponse` / `onError` are made once and serve every attempt.
 */
class RouterCall {
  private rs: RetryState | undefined = undefined;
  /** Undefined when no attempt can need a timer of its own (the core times the route timeout). */
  private plan: TimeoutPlan | undefined = undefined;
  private start = 0;
  private readonly h1: boolean;
  /** The current attempt: its view of the exchange, per-try timer and HTTP/1.1 connection slot. */
  private view: Exchange;
  private ctl: AbortController | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  private timerKind: 'per-try' | 'global' = 'global';
  private slot = false;
  /** The `max_requests` place is still ours to give back (not handed to the response). */
  private holdsRequest: boolean;

  constructor(
    private readonly ex: Exchange, private readonly d: ForwardDecision, private readonly p: RoutePolicies, private readonly cp: ClusterPolicy | undefined,
    private readonly next: Forward, private readonly random: RandomSource, private readonly clock: Clock,
  ) {
    this.view = ex;
    this.holdsRequest = cp !== undefined;
    this.h1 = cp !== undefined && (cp.http1 === true || (cp.http1 === 'downstream' && ex.downstream.protocol !== 'HTTP/2'));
  }

  /** Buffers a streamed body for replays first (the only wait before the first attempt). */
  bufferThenBegin(): Promise<UpstreamResponse> {
    return bufferBody(this.ex).then((replayable) => this.begin(replayable), (e: unknown) => { this.finish(); throw e; });
  }

  /** Fires mirrors, computes the deadlines, sets up retries (when the body can be replayed) and sends the first attempt. */
  begin(replayable: boolean): Promise<UpstreamResponse> {
    try {
      const { ex, p } = this;
      if (p.mirrors.length > 0) sendMirrors(ex, this.d, p, this.next, this.random);
      const h = ex.headers;
      const ct = h['content-type'];
      const grpc = ct !== undefined && String(ct).startsWith('application/grpc');
      // Without these, finalTimeout gives the route timeout and no per-try one: the core's timer is the only one.
      if (grpc || p.timeouts.perTryTimeoutMs > 0 || h['x-envoy-upstream-rq-timeout-ms'] !== undefined || h['x-envoy-upstream-rq-per-try-timeout-ms'] !== undefined) {
        this.plan = finalTimeout(p.timeouts, { headers: h, grpc });
        this.start = this.clock();
      }
      if (p.retry && replayable) {
        this.rs = new RetryState(p.retry, this.random, this.cp?.breaker);
        ex.retryState = this.rs;
      }
      return this.attempt();
    } catch (e) {
      this.finish();
      return Promise.reject(e);
    }
  }

  private attempt(): Promise<UpstreamResponse> {
    this.view = this.ex;
    if (this.plan) this.armTimer(this.plan);
    if (this.p.countAttempts) this.view.attemptCount = this.rs?.attemptCount ?? 1;
    const d = this.d;
    let sent: Promise<UpstreamResponse>;
    try {
      this.slot = false;
      if (this.h1 && !tryConnectionSlot(this.cp!)) {
        const view = this.view;
        sent = waitConnectionSlot(this.cp!, view.signal).then(() => { this.slot = true; return this.next(view, d); });
      } else {
        this.slot = this.h1;
        sent = this.next(this.view, d);
      }
    } catch (e) {
      sent = Promise.reject(e);
    }
    return sent.then(this.onResponse, this.onError);
  }

  /** A timer for this attempt when the per-try, gRPC or header deadline is not the route timeout the core times itself. */
  private armTimer(plan: TimeoutPlan): void {
    const timer = attemptTimer(plan, this.clock() - this.start);
    if (timer.ms === undefined || (timer.kind === 'global' && plan.globalMs === this.p.timeouts.timeoutMs)) return;
    const ctl = new AbortController();
    // Envoy's details: the final try's own deadline `upstream_per_try_timeout`, the route's `response_timeout`.
    const err = new UpstreamError('UT', 504, 'upstream request timeout', undefined, undefined, timer.kind === 'per-try' ? 'upstream_per_try_timeout' : 'response_timeout');
    this.ctl = ctl;
    this.timerKind = timer.kind;
    this.timer = setTimeout(() => ctl.abort(err), timer.ms);
    this.view = withSignal(this.ex, AbortSignal.any([this.ex.signal, ctl.signal]));
  }

  /** Ends the attempt's timer and gives its connection slot back (a response keeps its slot until its body is done). */
  private endAttempt(keepSlot: boolean): void {
    if (this.timer !== undefined) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.slot && !keepSlot) releaseConnectionSlot(this.cp!);
  }

  private readonly onResponse = (response: UpstreamResponse): UpstreamResponse | Promise<UpstreamResponse> => {
    const { ex, cp, rs } = this;
    this.endAttempt(true);
    this.ctl = undefined;
    const host = ex.upstreamHost;
    if (cp?.outlier && host) {
      const h = cp.byUpstream.get(host);
      if (h) cp.outlier.putHttpStatus(h, outlierStatus(response));
    }
    if (rs) {
      if (host) rs.onHostAttempted(host.key, host.priority ?? 0);
      const decision = rs.shouldRetry(responseOutcome(rs.policy, response.status, response.headers));
      if (decision.retry) {
        response.dump();
        if (this.slot) { this.slot = false; releaseConnectionSlot(cp!); }
        return this.retryAfter(decision.backoffMs);
      }
      if (decision.why === 'limit-exceeded') flag(ex, 'URX');
      else if (decision.why === 'overflow') flag(ex, 'UO');
      rs.finish();
    }
    const hashed = ex.hashResult as HashResult | undefined;
    if (hashed?.setCookie) response.headers.push('set-cookie', hashed.setCookie);
    if (this.p.attemptCountInResponse) response.headers.push(ATTEMPT_COUNT_HEADER, String(rs?.attemptCount ?? 1));
    if (!cp) return response;
    const slot = this.slot;
    this.slot = false;
    this.holdsRequest = false;
    return new ReleasingResponse(response, cp, true, slot);
  };

  private readonly onError = (e: unknown): Promise<UpstreamResponse> => {
    const { ex, cp, rs, ctl } = this;
    this.endAttempt(false);
    this.slot = false;
    this.ctl = undefined;
    if (ex.signal.aborted) {
      this.finish();
      throw ex.signal.reason instanceof Error ? ex.signal.reason : e;
    }
    const timedOut = ctl?.signal.aborted === true;
    const error = timedOut ? (ctl!.signal.reason as UpstreamError) : e instanceof UpstreamError ? e : new UpstreamError('UC', 503, (e as Error).message);
    let outcome: AttemptOutcome;
    let global: boolean;
    if (error.flag === 'UO') {
      outcome = OVERFLOW;
      global = true;
    } else {
      if (cp?.outlier && ex.upstreamHost && error.flag !== 'UH' && error.flag !== 'NC') {
        const host = cp.byUpstream.get(ex.upstreamHost);
        if (host) cp.outlier.putLocalResult(host, timedOut ? 'timeout' : 'connect-failed');
      }
      if (timedOut) { outcome = PER_TRY_TIMEOUT; global = this.timerKind === 'global'; }
      else if (error.flag === 'UH' || error.flag === 'NC') { outcome = OVERFLOW; global = true; }
      else { outcome = error.flag === 'UF' ? CONNECT_FAILURE : TERMINATION; global = false; }
    }
    if (ex.upstreamHost) rs?.onHostAttempted(ex.upstreamHost.key, ex.upstreamHost.priority ?? 0);
    if (global || !rs) {
      this.finish();
      throw error;
    }
    const decision = rs.shouldRetry(outcome);
    if (decision.retry) return this.retryAfter(decision.backoffMs);
    if (decision.why === 'limit-exceeded') flag(ex, 'URX');
    else if (decision.why === 'overflow') flag(ex, 'UO');
    this.finish();
    throw error;
  };

  private retryAfter(ms: number): Promise<UpstreamResponse> {
    if (ms <= 0) return this.attempt();
    return sleep(ms, this.ex.signal).then(() => this.attempt(), (e: unknown) => { this.finish(); throw e; });
  }

  /** The request ends without a response handed downstream: the retry slot and the `max_requests` place go back. */
  private finish(): void {
    this.rs?.finish();
    if (this.holdsRequest) {
      this.holdsRequest = false;
      this.cp!.breaker.requests.release();
    }
  }
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
