import type { IConstruct } from 'constructs';
import type {
  DestinationRuleSpecTrafficPolicyConnectionPool,
  DestinationRuleSpecTrafficPolicyConnectionPoolHttp,
  DestinationRuleSpecTrafficPolicyConnectionPoolTcp,
} from '../../imports/networking.istio.io.js';
import { PropError, type PropErrorCode } from './_errors.js';
import { type Duration, toDuration } from './duration.js';

const INT32_MAX = 2_147_483_647;

/**
 * TCP-level limits shared by HTTP and TCP upstream connections (Istio `ConnectionPoolSettings.TCPSettings`).
 * Overflow makes Envoy answer 503 with response flag `UO`.
 */
export interface TcpConnectionPoolOptions {
  /**
   * Maximum HTTP/1.1 or TCP connections to a destination host (`tcp.maxConnections`).
   * @default - Istio's default, 2^32-1
   */
  readonly maxConnections?: number;
  /**
   * TCP connect timeout, at least 1 ms (`tcp.connectTimeout`).
   * @default - Istio's default, 10s
   */
  readonly connectTimeout?: Duration | string;
  /**
   * Close TCP connections idle this long (`tcp.idleTimeout`).
   * @default - Istio's default, 1h
   */
  readonly idleTimeout?: Duration | string;
  /**
   * Close a connection this long after it was opened, idle or not (`tcp.maxConnectionDuration`).
   * @default - no limit
   */
  readonly maxConnectionDuration?: Duration | string;
}

/** HTTP-level limits (Istio `ConnectionPoolSettings.HTTPSettings`). Each maps to an Envoy circuit breaker. */
export interface HttpConnectionPoolOptions {
  /**
   * Requests queued while waiting for a connection (`http.http1MaxPendingRequests`).
   * @default - Istio's default, 2^32-1
   */
  readonly http1MaxPendingRequests?: number;
  /**
   * Concurrent requests to the destination, HTTP/1.1 and HTTP/2 alike (`http.http2MaxRequests`).
   * @default - Istio's default, 2^32-1
   */
  readonly http2MaxRequests?: number;
  /**
   * Requests per connection before it is closed; 1 disables keep-alive (`http.maxRequestsPerConnection`).
   * @default - no limit
   */
  readonly maxRequestsPerConnection?: number;
  /**
   * Retries outstanding across all hosts at once (`http.maxRetries`).
   * @default - Istio's default, 2^32-1
   */
  readonly maxRetries?: number;
  /**
   * Close upstream connections with no active requests for this long (`http.idleTimeout`).
   * @default - Istio's default, 1h
   */
  readonly idleTimeout?: Duration | string;
}

/** Connection pool sizes for a destination (Istio `ConnectionPoolSettings`). */
export interface ConnectionPoolOptions {
  /**
   * TCP-level limits.
   * @default - Istio's defaults
   */
  readonly tcp?: TcpConnectionPoolOptions;
  /**
   * HTTP-level limits.
   * @default - Istio's defaults
   */
  readonly http?: HttpConnectionPoolOptions;
}

/** Maps `ConnectionPoolOptions` to Istio's `connectionPool`, naming `field` (e.g. `trafficPolicy.connectionPool`) on error. */
export function translateConnectionPool(
  scope: IConstruct, field: string, options: ConnectionPoolOptions,
): DestinationRuleSpecTrafficPolicyConnectionPool {
  return prune({
    tcp: options.tcp && translateTcp(scope, `${field}.tcp`, options.tcp),
    http: options.http && translateHttp(scope, `${field}.http`, options.http),
  });
}

function translateTcp(scope: IConstruct, field: string, o: TcpConnectionPoolOptions): DestinationRuleSpecTrafficPolicyConnectionPoolTcp {
  return {
    maxConnections: optLimit(scope, `${field}.maxConnections`, o.maxConnections),
    connectTimeout: optDuration(scope, `${field}.connectTimeout`, o.connectTimeout),
    idleTimeout: optDuration(scope, `${field}.idleTimeout`, o.idleTimeout),
    maxConnectionDuration: optDuration(scope, `${field}.maxConnectionDuration`, o.maxConnectionDuration),
  };
}

function translateHttp(scope: IConstruct, field: string, o: HttpConnectionPoolOptions): DestinationRuleSpecTrafficPolicyConnectionPoolHttp {
  return {
    http1MaxPendingRequests: optLimit(scope, `${field}.http1MaxPendingRequests`, o.http1MaxPendingRequests),
    http2MaxRequests: optLimit(scope, `${field}.http2MaxRequests`, o.http2MaxRequests),
    maxRequestsPerConnection: optLimit(scope, `${field}.maxRequestsPerConnection`, o.maxRequestsPerConnection),
    maxRetries: optCount(scope, `${field}.maxRetries`, o.maxRetries),
    idleTimeout: optDuration(scope, `${field}.idleTimeout`, o.idleTimeout),
  };
}

/**
 * An integer in `[min, max]`. Shared by the traffic-policy translators.
 * @internal
 */
export function checkCount(
  scope: IConstruct, field: string, value: number,
  range: { min?: number; max?: number; code?: PropErrorCode; hint?: string } = {},
): number {
  const min = range.min ?? 0;
  const max = range.max ?? INT32_MAX;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PropError(range.code ?? 'MP_INVALID_PROP', scope, field, value,
      `expected an integer from ${min} to ${max}${range.hint ? ` (${range.hint})` : ''}`);
  }
  return value;
}

/**
 * A copy of `value` without `undefined` properties, at any depth, so translated specs compare
 * exactly against expected objects.
 * @internal
 */
export function prune<T>(value: T): T {
  if (Array.isArray(value)) return value.map(prune) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = prune(v);
  return out as T;
}

/** @internal */
export function optDuration(scope: IConstruct, field: string, value: Duration | string | undefined): string | undefined {
  return value === undefined ? undefined : toDuration(value, scope, field).toIstio();
}

/**
 * Circuit-breaker limits start at 1: Istio reads 0 as "unset" and applies its 2^32-1 default,
 * which is the opposite of what a 0 limit seems to say.
 */
function optLimit(scope: IConstruct, field: string, value: number | undefined): number | undefined {
  return value === undefined ? undefined
    : checkCount(scope, field, value, { min: 1, hint: 'Istio reads 0 as unset, i.e. no limit' });
}

function optCount(scope: IConstruct, field: string, value: number | undefined): number | undefined {
  return value === undefined ? undefined : checkCount(scope, field, value);
}
