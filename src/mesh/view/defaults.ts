/**
 * Istio's defaults, filled in where the configuration leaves a field out. Each constant names
 * the Istio or Envoy field it stands for.
 */
import { isRecord } from '../object.js';
import { DEFAULT_RETRY_ON, type MeshConfig } from '../mesh-config.js';
import type { ConnectionPoolView, OutlierDetectionView, RetryPolicyView } from './types.js';
import { durationMs } from './origin.js';

/** Envoy circuit-breaker thresholds Istio sets when a limit is not configured: 2^32-1. */
export const UNLIMITED = 4_294_967_295;

/** Envoy's retry back-off base interval (`retry_back_off.base_interval`). */
export const DEFAULT_RETRY_BACKOFF_MS = 25;

/** OutlierDetection field defaults (Istio API docs; Envoy `outlier_detection`). */
export const OUTLIER_DEFAULTS: OutlierDetectionView = Object.freeze({
  consecutive5xxErrors: 5,
  consecutiveGatewayErrors: 0,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 10,
  minHealthPercent: 0,
  splitExternalLocalOriginErrors: false,
});

/**
 * The retry policy of a route, as istiod's `translateRoute` and `route/retry.ConvertPolicy` make it:
 * without `retries`, MeshConfig `defaultHttpRetryPolicy` (Istio's default: 2 attempts), every field
 * of it; with `retries`, Istio's built-in default policy overridden by the fields written, not the
 * MeshConfig default: `attempts` unset is proto3's 0, which disables retries (`ConvertPolicy` returns no
 * policy), and an unset or empty `retryOn` is Istio's default retry-on ({@link DEFAULT_RETRY_ON}),
 * whatever the MeshConfig default says. `backoff` unset stays null: istiod sets no `retry_back_off`, so
 * Envoy's 25 ms base applies ({@link DEFAULT_RETRY_BACKOFF_MS}).
 */
export function retryPolicy(retries: unknown, mc: MeshConfig): Omit<RetryPolicyView, 'origin'> {
  const d = mc.defaultHttpRetryPolicy;
  if (!isRecord(retries)) {
    return {
      attempts: d.attempts, retryOn: d.retryOn, perTryTimeoutMs: d.perTryTimeoutMs, retryRemoteLocalities: d.retryRemoteLocalities,
      retryIgnorePreviousHosts: d.retryIgnorePreviousHosts, backoffBaseMs: d.backoffMs, source: 'mesh-default',
    };
  }
  return {
    attempts: typeof retries.attempts === 'number' ? retries.attempts : 0,
    retryOn: typeof retries.retryOn === 'string' && retries.retryOn !== '' ? retries.retryOn : DEFAULT_RETRY_ON,
    perTryTimeoutMs: durationMs(retries.perTryTimeout),
    retryRemoteLocalities: retries.retryRemoteLocalities === true,
    retryIgnorePreviousHosts: typeof retries.retryIgnorePreviousHosts === 'boolean' ? retries.retryIgnorePreviousHosts : null,
    backoffBaseMs: durationMs(retries.backoff),
    source: 'route',
  };
}

/** ConnectionPoolSettings with Istio's defaults (limits 2^32-1, MeshConfig connect timeout and h2 policy). */
export function connectionPool(pool: unknown, mc: MeshConfig): ConnectionPoolView {
  const tcp = isRecord(pool) && isRecord(pool.tcp) ? pool.tcp : {};
  const http = isRecord(pool) && isRecord(pool.http) ? pool.http : {};
  const num = (v: unknown, d: number): number => (typeof v === 'number' && v > 0 ? v : d);
  const h2 = http.h2UpgradePolicy;
  return {
    maxConnections: num(tcp.maxConnections, UNLIMITED),
    connectTimeoutMs: durationMs(tcp.connectTimeout) ?? mc.connectTimeoutMs,
    http1MaxPendingRequests: num(http.http1MaxPendingRequests, UNLIMITED),
    http2MaxRequests: num(http.http2MaxRequests, UNLIMITED),
    maxRequestsPerConnection: num(http.maxRequestsPerConnection, 0),
    maxRetries: num(http.maxRetries, UNLIMITED),
    idleTimeoutMs: durationMs(http.idleTimeout),
    h2UpgradePolicy: h2 === 'UPGRADE' || h2 === 'DO_NOT_UPGRADE' ? h2 : mc.h2UpgradePolicy,
  };
}

/** OutlierDetection with defaults for omitted fields; null when not configured. */
export function outlierDetection(od: unknown): OutlierDetectionView | null {
  if (!isRecord(od)) return null;
  const d = OUTLIER_DEFAULTS;
  const num = (v: unknown, def: number): number => (typeof v === 'number' ? v : def);
  const consecutive5xx = od.consecutive5xxErrors ?? od.consecutiveErrors;
  return {
    consecutive5xxErrors: num(consecutive5xx, d.consecutive5xxErrors),
    consecutiveGatewayErrors: num(od.consecutiveGatewayErrors, d.consecutiveGatewayErrors),
    intervalMs: durationMs(od.interval) ?? d.intervalMs,
    baseEjectionTimeMs: durationMs(od.baseEjectionTime) ?? d.baseEjectionTimeMs,
    maxEjectionPercent: num(od.maxEjectionPercent, d.maxEjectionPercent),
    minHealthPercent: num(od.minHealthPercent, d.minHealthPercent),
    splitExternalLocalOriginErrors: od.splitExternalLocalOriginErrors === true,
  };
}
