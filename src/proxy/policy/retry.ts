/**
 * Route retries: Envoy `envoy.config.route.v3.RetryPolicy` as `source/common/router/retry_state_impl.cc`
 * and `retry_policy_impl.cc` apply it. A {@link CompiledRetryPolicy} is built once per route when the
 * RouteConfiguration arrives; a {@link RetryState} lives for one downstream request and decides,
 * after each upstream attempt, whether to try again and after how long.
 */
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { RetryPolicy } from '../../xds/gen/envoy/config/route/v3/route_components_pb.js';
import { PreviousPrioritiesConfigSchema } from '../../xds/gen/envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config_pb.js';
import { ConfigError } from '../config/config-error.js';
import { compileHeaderMatcher, type HeaderBag } from '../route-match.js';
import { durationMs, firstHeader, randomBelow, type RandomSource } from './_common.js';
import { distributeLoad } from './lb/host-set.js';

/** `retry_on` conditions as bit flags (Envoy `RetryPolicy::RETRY_ON_*`). */
export const RetryOn = {
  FIVE_XX: 1 << 0,
  GATEWAY_ERROR: 1 << 1,
  CONNECT_FAILURE: 1 << 2,
  RETRIABLE_4XX: 1 << 3,
  REFUSED_STREAM: 1 << 4,
  RETRIABLE_STATUS_CODES: 1 << 5,
  RESET: 1 << 6,
  RESET_BEFORE_REQUEST: 1 << 7,
  ENVOY_RATELIMITED: 1 << 8,
  RETRIABLE_HEADERS: 1 << 9,
  HTTP3_POST_CONNECT_FAILURE: 1 << 10,
  GRPC_CANCELLED: 1 << 11,
  GRPC_DEADLINE_EXCEEDED: 1 << 12,
  GRPC_INTERNAL: 1 << 13,
  GRPC_RESOURCE_EXHAUSTED: 1 << 14,
  GRPC_UNAVAILABLE: 1 << 15,
} as const;

const TOKENS: Readonly<Record<string, number>> = {
  '5xx': RetryOn.FIVE_XX,
  'gateway-error': RetryOn.GATEWAY_ERROR,
  'connect-failure': RetryOn.CONNECT_FAILURE,
  'retriable-4xx': RetryOn.RETRIABLE_4XX,
  'refused-stream': RetryOn.REFUSED_STREAM,
  'retriable-status-codes': RetryOn.RETRIABLE_STATUS_CODES,
  'reset': RetryOn.RESET,
  'reset-before-request': RetryOn.RESET_BEFORE_REQUEST,
  'envoy-ratelimited': RetryOn.ENVOY_RATELIMITED,
  'retriable-headers': RetryOn.RETRIABLE_HEADERS,
  'http3-post-connect-failure': RetryOn.HTTP3_POST_CONNECT_FAILURE,
  'cancelled': RetryOn.GRPC_CANCELLED,
  'deadline-exceeded': RetryOn.GRPC_DEADLINE_EXCEEDED,
  'internal': RetryOn.GRPC_INTERNAL,
  'resource-exhausted': RetryOn.GRPC_RESOURCE_EXHAUSTED,
  'unavailable': RetryOn.GRPC_UNAVAILABLE,
};

/** gRPC status codes behind the gRPC `retry_on` tokens. */
const GRPC_FLAGS: ReadonlyMap<number, number> = new Map([
  [1, RetryOn.GRPC_CANCELLED], [4, RetryOn.GRPC_DEADLINE_EXCEEDED], [8, RetryOn.GRPC_RESOURCE_EXHAUSTED],
  [13, RetryOn.GRPC_INTERNAL], [14, RetryOn.GRPC_UNAVAILABLE],
]);
const ANY_GRPC = RetryOn.GRPC_CANCELLED | RetryOn.GRPC_DEADLINE_EXCEEDED | RetryOn.GRPC_INTERNAL | RetryOn.GRPC_RESOURCE_EXHAUSTED | RetryOn.GRPC_UNAVAILABLE;

/** The retry predicate Istio sets (`envoy.retry_host_predicates.previous_hosts`): try a host not tried before. */
export const PREVIOUS_HOSTS_PREDICATE = 'envoy.retry_host_predicates.previous_hosts';
/** Request header carrying the 1-based attempt number (virtual host `include_request_attempt_count`). */
export const ATTEMPT_COUNT_HEADER = 'x-envoy-attempt-count';

/** A `RetryPolicy` checked and reduced to what each attempt needs. Times in milliseconds; 0 = none. */
export interface CompiledRetryPolicy {
  /** OR of {@link RetryOn} flags from `retry_on`. */
  readonly retryOn: number;
  /** `num_retries`: retries after the first attempt. Envoy's default 1 when unset. */
  readonly numRetries: number;
  /** `per_try_timeout`; 0 = none (the route timeout bounds every attempt). */
  readonly perTryTimeoutMs: number;
  /** `per_try_idle_timeout`; 0 = none. */
  readonly perTryIdleTimeoutMs: number;
  /** `retry_back_off.base_interval`, default 25 ms. */
  readonly baseIntervalMs: number;
  /** `retry_back_off.max_interval`, default 10 × base. */
  readonly maxIntervalMs: number;
  /** `retriable_status_codes` (used with `retriable-status-codes`). */
  readonly retriableStatusCodes: ReadonlySet<number>;
  /** `retriable_headers` (used with `retriable-headers`): any match makes a response retriable. */
  readonly retriableHeaders: readonly ((h: HeaderBag) => boolean)[];
  /** A `previous_hosts` retry host predicate is configured. */
  readonly avoidPreviousHosts: boolean;
  /** `host_selection_retry_max_attempts`: extra host picks when the predicate rejects a host. */
  readonly hostSelectionRetryMaxAttempts: number;
  /**
   * `retry_priority`: the `previous_priorities` retry priority (Envoy
   * `envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig`), its
   * `update_frequency` (how many attempted hosts between two recomputations of the priority load;
   * Istio sets 2 for `retryRemoteLocalities`); null without one.
   */
  readonly retryPriority: { readonly updateFrequency: number } | null;
}

/** The retry priority Istio sets for `retryRemoteLocalities`: retries go to priorities not attempted yet. */
export const PREVIOUS_PRIORITIES = 'envoy.retry_priorities.previous_priorities';

/**
 * `retry_priority` checked: a `previous_priorities` typed config with `update_frequency` > 0 (its
 * proto's validation rule). Throws {@link ConfigError} at `retry_priority` for any other extension
 * (Envoy refuses a route naming a retry priority it does not have) or a bad frequency.
 */
function compileRetryPriority(p: RetryPolicy['retryPriority']): { updateFrequency: number } | null {
  if (p === undefined) return null;
  const typed = p.configType.case === 'typedConfig' ? p.configType.value : undefined;
  if (typed === undefined || !typed.typeUrl.endsWith(`/${PreviousPrioritiesConfigSchema.typeName}`)) {
    throw new ConfigError('retry_priority', `unsupported retry priority ${JSON.stringify(typed?.typeUrl ?? p.name)}; the only one supported is ${PREVIOUS_PRIORITIES} with a typed_config of type.googleapis.com/${PreviousPrioritiesConfigSchema.typeName}`);
  }
  const config = anyUnpack(typed, PreviousPrioritiesConfigSchema)!;
  if (config.updateFrequency <= 0) throw new ConfigError('retry_priority.typed_config.update_frequency', `must be greater than 0, got ${config.updateFrequency}`);
  return { updateFrequency: config.updateFrequency };
}

/**
 * Parses `retry_on` (comma separated, Envoy's and Envoy's gRPC names). Throws {@link ConfigError} at
 * `retry_on` naming an unknown token and the valid ones, as Envoy refuses the route.
 */
export function parseRetryOn(spec: string): number {
  let flags = 0;
  for (const raw of spec.split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    const f = TOKENS[t];
    if (f === undefined) throw new ConfigError('retry_on', `unknown retry condition ${JSON.stringify(t)}; valid: ${Object.keys(TOKENS).join(', ')}`);
    flags |= f;
  }
  return flags;
}

/**
 * Checks and compiles a route's `RetryPolicy`. Returns `undefined` when nothing would ever be retried
 * (no policy, or an empty `retry_on`: Envoy creates no retry state then). Throws {@link ConfigError}
 * with the field path for a bad backoff (`max_interval` below `base_interval`, zero base) or condition.
 */
export function compileRetryPolicy(p: RetryPolicy | undefined): CompiledRetryPolicy | undefined {
  if (p === undefined) return undefined;
  const retryOn = parseRetryOn(p.retryOn);
  if (retryOn === 0) return undefined;
  const base = durationMs(p.retryBackOff?.baseInterval) ?? 25;
  if (p.retryBackOff && base <= 0) throw new ConfigError('retry_back_off.base_interval', `must be at least 1ms, got ${base}ms`);
  const max = durationMs(p.retryBackOff?.maxInterval) ?? base * 10;
  if (max < base) throw new ConfigError('retry_back_off.max_interval', `${max}ms is below base_interval ${base}ms; it must be greater than or equal to the base interval`);
  const retriableHeaders = p.retriableHeaders.map((h, i) => {
    try { return compileHeaderMatcher(h); } catch (e) { throw e instanceof ConfigError ? e.within(`retriable_headers[${i}]`) : e; }
  });
  return {
    retryOn,
    numRetries: p.numRetries ?? 1,
    perTryTimeoutMs: durationMs(p.perTryTimeout) ?? 0,
    perTryIdleTimeoutMs: durationMs(p.perTryIdleTimeout) ?? 0,
    baseIntervalMs: base,
    maxIntervalMs: max,
    retriableStatusCodes: new Set(p.retriableStatusCodes),
    retriableHeaders,
    avoidPreviousHosts: p.retryHostPredicate.some((h) => h.name === PREVIOUS_HOSTS_PREDICATE),
    hostSelectionRetryMaxAttempts: Number(p.hostSelectionRetryMaxAttempts),
    retryPriority: compileRetryPriority(p.retryPriority),
  };
}

/**
 * Why an upstream attempt ended without response headers (Envoy `Http::StreamResetReason`):
 * `connect-failure` (TCP/TLS connect failed or timed out), `connection-termination` (the upstream
 * closed or reset the connection), `refused-stream` (HTTP/2 REFUSED_STREAM), `local-reset` (we
 * cancelled it), `per-try-timeout` (the per-try timer fired; Envoy resets locally), `overflow`
 * (a circuit breaker refused it).
 */
export type ResetReason = 'connect-failure' | 'connection-termination' | 'refused-stream' | 'local-reset' | 'per-try-timeout' | 'overflow';

/** How one upstream attempt ended: response headers, or a reset before any. */
export type AttemptOutcome =
  | { readonly status: number; readonly headers: HeaderBag }
  | { readonly reset: ResetReason; /** the request reached the upstream before the reset @default true */ readonly requestSent?: boolean };

/** `no`, or a retry after a backoff, or (refused stream) at once. */
export type RetryDecision = 'no' | 'backoff' | 'immediately';

const isGatewayError = (s: number) => s === 502 || s === 503 || s === 504;

/** Envoy `wouldRetryFromHeaders` / `wouldRetryFromReset`: is this outcome retriable under the policy? */
export function wouldRetry(policy: CompiledRetryPolicy, outcome: AttemptOutcome): RetryDecision {
  const on = policy.retryOn;
  if ('reset' in outcome) {
    const r = outcome.reset;
    if (r === 'overflow') return 'no';
    if ((on & RetryOn.RESET_BEFORE_REQUEST) && outcome.requestSent === false) return 'backoff';
    if (on & (RetryOn.FIVE_XX | RetryOn.GATEWAY_ERROR | RetryOn.RESET)) return 'backoff';
    if ((on & RetryOn.REFUSED_STREAM) && r === 'refused-stream') return 'immediately';
    if ((on & RetryOn.CONNECT_FAILURE) && r === 'connect-failure') return 'backoff';
    return 'no';
  }
  const { status, headers } = outcome;
  // An overloaded upstream (or an Envoy circuit breaker upstream of us) is never retried.
  if (headers['x-envoy-overloaded'] !== undefined) return 'no';
  if ((on & RetryOn.ENVOY_RATELIMITED) && headers['x-envoy-ratelimited'] !== undefined) return 'backoff';
  if ((on & RetryOn.FIVE_XX) && status >= 500 && status < 600) return 'backoff';
  if ((on & RetryOn.GATEWAY_ERROR) && isGatewayError(status)) return 'backoff';
  if ((on & RetryOn.RETRIABLE_4XX) && status === 409) return 'backoff';
  if ((on & RetryOn.RETRIABLE_STATUS_CODES) && policy.retriableStatusCodes.has(status)) return 'backoff';
  if ((on & RetryOn.RETRIABLE_HEADERS) && policy.retriableHeaders.some((m) => m(headers))) return 'backoff';
  if (on & ANY_GRPC) {
    const g = firstHeader(headers['grpc-status']);
    const flag = g !== undefined && /^\d+$/.test(g) ? GRPC_FLAGS.get(Number(g)) : undefined;
    if (flag !== undefined && (on & flag)) return 'backoff';
  }
  return 'no';
}

/**
 * Envoy `JitteredExponentialBackOffStrategy` ("full jitter"): the n-th call returns a uniform integer
 * in [0, min(base × 2^(n-1), max)) milliseconds, never more than `max`.
 */
export class JitteredExponentialBackOff {
  private next: number;
  constructor(private readonly baseMs: number, private readonly maxMs: number, private readonly random: RandomSource) {
    this.next = baseMs;
  }

  /** The next wait in milliseconds. */
  nextBackOffMs(): number {
    const backoff = this.next;
    this.next = this.next < this.maxMs / 2 ? this.next * 2 : this.maxMs;
    return Math.min(randomBelow(this.random, backoff), this.maxMs);
  }
}

/** A cluster-wide counter of retries in flight (the circuit breaker's `max_retries`). */
export interface RetryBudget {
  /** Takes one retry slot; false when the budget is exhausted. */
  tryAcquireRetry(): boolean;
  /** Gives a slot back. */
  releaseRetry(): void;
}

/**
 * The answer after an attempt: retry after `backoffMs`, or stop. `limit-exceeded` (retries used up
 * while the outcome was retriable: Envoy flag `URX`) and `overflow` (circuit breaker `max_retries`
 * reached: flag `UO`) tell the access log why the last outcome is returned as is.
 */
export type RetryStatus =
  | { readonly retry: true; readonly backoffMs: number }
  | { readonly retry: false; readonly why: 'not-retriable' | 'limit-exceeded' | 'overflow' };

const NOT_RETRIABLE: RetryStatus = Object.freeze({ retry: false, why: 'not-retriable' });
const LIMIT_EXCEEDED: RetryStatus = Object.freeze({ retry: false, why: 'limit-exceeded' });
const OVERFLOW: RetryStatus = Object.freeze({ retry: false, why: 'overflow' });

/**
 * Retry bookkeeping for one downstream request (Envoy `RetryStateImpl`). Call {@link shouldRetry}
 * after every attempt, {@link finish} when the request is over (it returns the retry slot held
 * since the last retry was scheduled, as Envoy's `resetRetry`).
 */
export class RetryState {
  private remaining: number;
  private holdsSlot = false;
  /** Made on the first backoff, and the host set on the first host recorded: most requests need neither. */
  private backoff: JitteredExponentialBackOff | undefined = undefined;
  /** The first host attempted; the set holds the others (most requests see one host: no Set). */
  private firstHost: string | undefined = undefined;
  private attempted: Set<string> | undefined = undefined;
  /** With a retry priority: the priority of each host attempted since the last reset, the priorities excluded, and the load last computed. */
  private attemptedPriorities: number[] | undefined = undefined;
  private excludedPriorities: boolean[] | undefined = undefined;
  private retryLoad: number[] | undefined = undefined;
  /** The 1-based number of the attempt about to be (or last) sent: the `x-envoy-attempt-count` value. */
  attemptCount = 1;

  constructor(readonly policy: CompiledRetryPolicy, private readonly random: RandomSource, private readonly budget?: RetryBudget) {
    this.remaining = policy.numRetries;
  }

  /** Decides on the outcome of the attempt just finished; on `retry`, the next attempt's count is already advanced. */
  shouldRetry(outcome: AttemptOutcome): RetryStatus {
    this.releaseSlot();
    const d = wouldRetry(this.policy, outcome);
    if (d === 'no') return NOT_RETRIABLE;
    if (this.remaining === 0) return LIMIT_EXCEEDED;
    this.remaining--;
    if (this.budget && !this.budget.tryAcquireRetry()) return OVERFLOW;
    this.holdsSlot = this.budget !== undefined;
    this.attemptCount++;
    return { retry: true, backoffMs: d === 'immediately' ? 0 : (this.backoff ??= new JitteredExponentialBackOff(this.policy.baseIntervalMs, this.policy.maxIntervalMs, this.random)).nextBackOffMs() };
  }

  /** Records the host an attempt went to, and its priority (for the `previous_hosts` predicate and the `previous_priorities` retry priority). */
  onHostAttempted(hostKey: string, priority = 0): void {
    if (this.policy.retryPriority) (this.attemptedPriorities ??= []).push(priority);
    if (!this.policy.avoidPreviousHosts) return;
    if (this.firstHost === undefined) this.firstHost = hostKey;
    else if (this.firstHost !== hostKey) (this.attempted ??= new Set()).add(hostKey);
  }

  /**
   * The per-priority load (percent per priority) a retry's host pick uses, as Envoy's
   * `PreviousPrioritiesRetryPriority::determinePriorityLoad`: `original` on the first attempt, without
   * a retry priority, and until `update_frequency` hosts were attempted; then, each time the number
   * of hosts attempted is a multiple of it, the priorities of the attempted hosts are excluded and
   * the load is spread over the others by their `health` (percent per priority, overprovisioned and
   * capped at 100, as the host set computes it), the first available priority taking what rounding
   * leaves; between two updates the last load computed. When every priority is excluded, the
   * attempted hosts are forgotten and `original` is used (Envoy keeps its exclusions then, so the
   * load stays the original for the rest of the request).
   */
  priorityLoadForRetry(health: readonly number[], original: readonly number[]): readonly number[] {
    const frequency = this.policy.retryPriority?.updateFrequency;
    if (frequency === undefined || this.attemptCount <= 1) return original;
    const attempted = this.attemptedPriorities ?? [];
    if (attempted.length < frequency) return original;
    if (attempted.length % frequency === 0) {
      const excluded = (this.excludedPriorities ??= []);
      for (const p of attempted) excluded[p] = true;
      const load = distributeLoad(health.map((h, i) => (excluded[i] ? 0 : h)));
      if (load === undefined) {
        this.attemptedPriorities = [];
        return original;
      }
      this.retryLoad = load;
    }
    return this.retryLoad ?? original;
  }

  /** Envoy `shouldSelectAnotherHost`: the LB asks this for each pick, up to `hostSelectionRetryMaxAttempts` extra times. */
  shouldSelectAnotherHost(hostKey: string): boolean {
    return hostKey === this.firstHost || (this.attempted !== undefined && this.attempted.has(hostKey));
  }

  /** The request is over: return the retry slot if one is held. Idempotent. */
  finish(): void {
    this.releaseSlot();
  }

  private releaseSlot(): void {
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.budget?.releaseRetry();
    }
  }
}
