/**
 * Cluster circuit breakers: `Cluster.circuit_breakers` thresholds as Envoy's `ResourceManagerImpl`
 * (`source/common/upstream/resource_manager_impl.h`) counts them. One instance per cluster and
 * priority, created when the Cluster arrives; the forwarder acquires a slot before it opens a
 * connection, queues a request, sends a request, or schedules a retry, and releases it after.
 * An overflow is answered with {@link OVERFLOW_REPLY} (503, flag `UO`, `x-envoy-overloaded: true`).
 */
import type { CircuitBreakers, CircuitBreakers_Thresholds } from '../../xds/gen/envoy/config/cluster/v3/circuit_breaker_pb.js';
import { RoutingPriority } from '../../xds/gen/envoy/config/core/v3/base_pb.js';
import type { RetryBudget } from './retry.js';

/** Envoy's defaults when a threshold (or the whole `circuit_breakers`) is unset. */
export const DEFAULT_THRESHOLDS = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 } as const;

/** What an overflow answers (Envoy router: reset reason `overflow`, dropped). */
export const OVERFLOW_REPLY = {
  status: 503,
  flag: 'UO',
  headers: { 'x-envoy-overloaded': 'true', 'content-type': 'text/plain' },
  body: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
} as const;

/** One counted resource: `count` in use out of `max`. */
export class Resource {
  count = 0;
  constructor(readonly max: number) {}
  /** Takes one unit if below `max`. */
  tryAcquire(): boolean {
    if (this.count >= this.max) return false;
    this.count++;
    return true;
  }
  /** Gives one unit back (never below 0). */
  release(): void {
    if (this.count > 0) this.count--;
  }
}

/**
 * The thresholds of one priority (Envoy uses `DEFAULT` unless the route asks for `HIGH`), with
 * Envoy's retry budget when `retry_budget` is set: retries may reach `budget_percent` (default 20 %)
 * of active plus pending requests, and never fewer than `min_retry_concurrency` (default 3).
 */
export class CircuitBreaker implements RetryBudget {
  readonly connections: Resource;
  readonly pending: Resource;
  readonly requests: Resource;
  readonly retries: Resource;
  private readonly budgetPercent: number | undefined;
  private readonly minRetryConcurrency: number;

  constructor(cb: CircuitBreakers | undefined, priority: RoutingPriority = RoutingPriority.DEFAULT) {
    const t: CircuitBreakers_Thresholds | undefined = cb?.thresholds.find((x) => x.priority === priority);
    this.connections = new Resource(t?.maxConnections ?? DEFAULT_THRESHOLDS.maxConnections);
    this.pending = new Resource(t?.maxPendingRequests ?? DEFAULT_THRESHOLDS.maxPendingRequests);
    this.requests = new Resource(t?.maxRequests ?? DEFAULT_THRESHOLDS.maxRequests);
    this.retries = new Resource(t?.maxRetries ?? DEFAULT_THRESHOLDS.maxRetries);
    this.budgetPercent = t?.retryBudget ? t.retryBudget.budgetPercent?.value ?? 20 : undefined;
    this.minRetryConcurrency = t?.retryBudget?.minRetryConcurrency ?? 3;
  }

  /** The retry limit now: `max_retries`, or the budget over active + pending requests. */
  maxRetries(): number {
    if (this.budgetPercent === undefined) return this.retries.max;
    const active = this.requests.count + this.pending.count;
    return Math.max(Math.floor((this.budgetPercent / 100) * active), this.minRetryConcurrency);
  }

  /** @inheritdoc */
  tryAcquireRetry(): boolean {
    if (this.retries.count >= this.maxRetries()) return false;
    this.retries.count++;
    return true;
  }

  /** @inheritdoc */
  releaseRetry(): void {
    this.retries.release();
  }
}
