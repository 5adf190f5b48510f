/**
 * Route timeouts as Envoy's router computes them per request (`FilterUtility::finalTimeout` in
 * `source/common/router/router.cc`): the global route timeout (or the gRPC deadline capped by
 * `max_grpc_timeout`), the per-try timeout from the retry policy, and the route's stream idle
 * timeout and `max_stream_duration`. Compiled once per route; {@link finalTimeout} runs per request.
 */
import type { RouteAction } from '../../xds/gen/envoy/config/route/v3/route_components_pb.js';
import type { HeaderBag } from '../route-match.js';
import { durationMs, firstHeader } from './_common.js';
import type { CompiledRetryPolicy } from './retry.js';

/** Envoy's route timeout when `RouteAction.timeout` is unset (Istio always sets it, 0 when none). */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;

/** The timeout fields of one route, read once. All in milliseconds; 0 = disabled. */
export interface RouteTimeouts {
  /** `timeout`: whole request including retries; default 15 s; 0 = none. */
  readonly timeoutMs: number;
  /** `max_grpc_timeout`: when set, gRPC requests use their `grpc-timeout` capped by it (0 = no cap). */
  readonly maxGrpcTimeoutMs: number | undefined;
  /** `grpc_timeout_offset`, subtracted from `grpc-timeout` when that stays positive. */
  readonly grpcTimeoutOffsetMs: number;
  /** `retry_policy.per_try_timeout`; 0 = none. */
  readonly perTryTimeoutMs: number;
  /** `retry_policy.per_try_idle_timeout`; 0 = none. */
  readonly perTryIdleTimeoutMs: number;
  /** `idle_timeout`: overrides the listener's stream idle timeout when set; 0 disables it. */
  readonly idleTimeoutMs: number | undefined;
  /** `max_stream_duration.max_stream_duration`: overrides the listener's when set; 0 disables it. */
  readonly maxStreamDurationMs: number | undefined;
  /** `max_stream_duration.grpc_timeout_header_max`: gRPC requests' stream duration from `grpc-timeout`, capped (0 = no cap). */
  readonly grpcTimeoutHeaderMaxMs: number | undefined;
}

/** Reads a route's timeouts (with its compiled retry policy for the per-try values). */
export function compileRouteTimeouts(action: RouteAction, retry: CompiledRetryPolicy | undefined): RouteTimeouts {
  return {
    timeoutMs: durationMs(action.timeout) ?? DEFAULT_ROUTE_TIMEOUT_MS,
    maxGrpcTimeoutMs: durationMs(action.maxGrpcTimeout),
    grpcTimeoutOffsetMs: durationMs(action.grpcTimeoutOffset) ?? 0,
    perTryTimeoutMs: retry?.perTryTimeoutMs ?? 0,
    perTryIdleTimeoutMs: retry?.perTryIdleTimeoutMs ?? 0,
    idleTimeoutMs: durationMs(action.idleTimeout),
    maxStreamDurationMs: durationMs(action.maxStreamDuration?.maxStreamDuration),
    grpcTimeoutHeaderMaxMs: durationMs(action.maxStreamDuration?.grpcTimeoutHeaderMax),
  };
}

/** The timeouts one request runs under. Milliseconds; 0 = none. */
export interface TimeoutPlan {
  /** Whole request, all attempts and backoffs included: on expiry 504 `upstream request timeout`, flag `UT`, no retry. */
  readonly globalMs: number;
  /** Each attempt: on expiry the attempt is reset (retriable as a reset), else 504 `UT`. Ignored when ≥ global. */
  readonly perTryMs: number;
  /** Each attempt without upstream activity. */
  readonly perTryIdleMs: number;
  /** Stream idle timeout override (408 `stream timeout`, flag `SI`, before the response starts); `undefined` = listener's. */
  readonly idleMs: number | undefined;
  /** Stream duration (408 `downstream duration timeout`, flag `DT`); `undefined` = listener's. */
  readonly maxStreamDurationMs: number | undefined;
}

/**
 * gRPC `grpc-timeout` header → milliseconds (units H, M, S, m, u, n; at most 8 digits), `undefined`
 * when absent or malformed, as Envoy's `Grpc::Common::getGrpcTimeout`. Sub-millisecond values round up.
 */
export function parseGrpcTimeout(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^(\d{1,8})([HMSmun])$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'H': return n * 3_600_000;
    case 'M': return n * 60_000;
    case 'S': return n * 1000;
    case 'm': return n;
    case 'u': return Math.ceil(n / 1000);
    default: return Math.ceil(n / 1_000_000);
  }
}

/** Per-request options: is this gRPC, and may `x-envoy-upstream-rq-*timeout-ms` headers override (trusted, internal callers)? */
export interface TimeoutRequest {
  readonly headers: HeaderBag;
  readonly grpc: boolean;
  /** Honour `x-envoy-upstream-rq-timeout-ms` / `x-envoy-upstream-rq-per-try-timeout-ms`. @default true */
  readonly honourEnvoyHeaders?: boolean;
}

const msHeader = (h: HeaderBag, name: string): number | undefined => {
  const v = firstHeader(h[name]);
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
};

/** Envoy `finalTimeout`: the timeouts for one request. Pure. */
export function finalTimeout(t: RouteTimeouts, req: TimeoutRequest): TimeoutPlan {
  let globalMs = t.timeoutMs;
  const grpcHeader = req.grpc ? parseGrpcTimeout(firstHeader(req.headers['grpc-timeout'])) : undefined;
  if (req.grpc && t.maxGrpcTimeoutMs !== undefined) {
    let g = grpcHeader ?? 0;
    if (t.grpcTimeoutOffsetMs > 0 && t.grpcTimeoutOffsetMs < g) g -= t.grpcTimeoutOffsetMs;
    if (t.maxGrpcTimeoutMs !== 0 && (g === 0 || g > t.maxGrpcTimeoutMs)) g = t.maxGrpcTimeoutMs;
    globalMs = g;
  }
  let perTryMs = t.perTryTimeoutMs;
  if (req.honourEnvoyHeaders !== false) {
    globalMs = msHeader(req.headers, 'x-envoy-upstream-rq-timeout-ms') ?? globalMs;
    perTryMs = msHeader(req.headers, 'x-envoy-upstream-rq-per-try-timeout-ms') ?? perTryMs;
  }
  if (globalMs !== 0 && perTryMs >= globalMs) perTryMs = 0;
  let maxStreamDurationMs = t.maxStreamDurationMs;
  if (req.grpc && t.grpcTimeoutHeaderMaxMs !== undefined && grpcHeader !== undefined) {
    maxStreamDurationMs = t.grpcTimeoutHeaderMaxMs !== 0 && grpcHeader > t.grpcTimeoutHeaderMaxMs ? t.grpcTimeoutHeaderMaxMs : grpcHeader;
  }
  return { globalMs, perTryMs, perTryIdleMs: t.perTryIdleTimeoutMs, idleMs: t.idleTimeoutMs, maxStreamDurationMs };
}

/** Which timer ends an attempt first: the per-try timer or the request's global deadline. */
export interface AttemptTimer {
  /** Milliseconds from the attempt's start; `undefined` = no timer. */
  readonly ms: number | undefined;
  /** `per-try` is a reset the retry policy may retry; `global` ends the request with 504 `UT`. */
  readonly kind: 'per-try' | 'global';
}

/**
 * The timer for an attempt that starts `elapsedMs` after the request started: the per-try timeout,
 * or what is left of the global timeout when that is sooner (a spent deadline gives 0).
 */
export function attemptTimer(plan: TimeoutPlan, elapsedMs: number): AttemptTimer {
  const left = plan.globalMs === 0 ? undefined : Math.max(0, plan.globalMs - elapsedMs);
  if (plan.perTryMs > 0 && (left === undefined || plan.perTryMs < left)) return { ms: plan.perTryMs, kind: 'per-try' };
  return { ms: left, kind: 'global' };
}

/**
 * Envoy's `x-envoy-expected-rq-timeout-ms` for the upstream request: the per-try timeout if set,
 * else the global one; `undefined` when neither bounds the attempt.
 */
export function expectedTimeoutMs(plan: TimeoutPlan, elapsedMs: number): number | undefined {
  const t = attemptTimer(plan, elapsedMs);
  return t.ms === undefined || t.ms === 0 ? undefined : t.ms;
}
