/**
 * Istio's defaults, filled in where the configuration leaves a field out. Each constant names
 * the Istio or Envoy field it stands for.
 */
import { isRecord } from '../object.js';
import { DEFAULT_RETRY_ON, type MeshConfig } from '../mesh-config.js';
import type { ConnectionPoolView, InboundView, MeshTlsDefaultsView, OutlierDetectionView, OutlierOptionalField, RetryPolicyView, TcpKeepaliveView } from './types.js';
import { durationMs } from './origin.js';

/** Envoy circuit-breaker thresholds Istio sets when a limit is not configured: 2^32-1. */
export const UNLIMITED = 4_294_967_295;

/** Envoy's retry back-off base interval (`retry_back_off.base_interval`). */
export const DEFAULT_RETRY_BACKOFF_MS = 25;

/**
 * What Envoy applies for an `outlierDetection: {}` (Istio's documented defaults are Envoy's): every
 * optional field unset. istiod sends `healthy_panic_threshold` 0 always (`minHealthPercent`).
 */
export const OUTLIER_DEFAULTS: OutlierDetectionView = Object.freeze({
  consecutive5xxErrors: 5,
  consecutiveGatewayErrors: 0,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 10,
  minHealthPercent: 0,
  splitExternalLocalOriginErrors: false,
  consecutiveLocalOriginFailures: 0,
  unset: Object.freeze(['consecutive5xxErrors', 'consecutiveGatewayErrors', 'interval', 'baseEjectionTime', 'maxEjectionPercent'] as const),
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

/** ConnectionPoolSettings with Istio's defaults (limits 2^32-1, MeshConfig connect timeout, h2 policy and TCP keepalive). */
export function connectionPool(pool: unknown, mc: MeshConfig): ConnectionPoolView {
  const tcp = isRecord(pool) && isRecord(pool.tcp) ? pool.tcp : {};
  const http = isRecord(pool) && isRecord(pool.http) ? pool.http : {};
  const num = (v: unknown, d: number): number => (typeof v === 'number' && v > 0 ? v : d);
  const h2 = http.h2UpgradePolicy;
  const h2ka = isRecord(http.http2KeepAlive) ? http.http2KeepAlive : null;
  return {
    maxConnections: num(tcp.maxConnections, UNLIMITED),
    connectTimeoutMs: durationMs(tcp.connectTimeout) ?? mc.connectTimeoutMs,
    http1MaxPendingRequests: num(http.http1MaxPendingRequests, UNLIMITED),
    http2MaxRequests: num(http.http2MaxRequests, UNLIMITED),
    maxRequestsPerConnection: num(http.maxRequestsPerConnection, 0),
    maxRetries: num(http.maxRetries, UNLIMITED),
    idleTimeoutMs: durationMs(http.idleTimeout),
    h2UpgradePolicy: h2 === 'UPGRADE' || h2 === 'DO_NOT_UPGRADE' ? h2 : mc.h2UpgradePolicy,
    h2UpgradeSource: h2 === 'UPGRADE' || h2 === 'DO_NOT_UPGRADE' ? 'destination-rule' : 'mesh',
    tcpIdleTimeoutMs: durationMs(tcp.idleTimeout),
    maxConnectionDurationMs: durationMs(tcp.maxConnectionDuration),
    maxConcurrentStreams: num(http.maxConcurrentStreams, 0),
    useClientProtocol: http.useClientProtocol === true,
    http2KeepAlive: h2ka ? { intervalMs: durationMs(h2ka.interval), timeoutMs: durationMs(h2ka.timeout) } : null,
    tcpKeepalive: tcpKeepalive(mc.raw.tcpKeepalive, tcp.tcpKeepalive),
  };
}

/**
 * istiod `applyTCPKeepalive`: MeshConfig `tcpKeepalive`, then the DestinationRule's, each field
 * (probes, time, interval; times in whole seconds) overriding; null when neither is set.
 */
function tcpKeepalive(mesh: unknown, rule: unknown): TcpKeepaliveView | null {
  if (!isRecord(mesh) && !isRecord(rule)) return null;
  let out: TcpKeepaliveView = { probes: null, timeS: null, intervalS: null };
  for (const k of [mesh, rule]) {
    if (!isRecord(k)) continue;
    const time = durationMs(k.time);
    const interval = durationMs(k.interval);
    out = {
      probes: typeof k.probes === 'number' && k.probes > 0 ? k.probes : out.probes,
      timeS: time !== null ? Math.floor(time / 1000) : out.timeS,
      intervalS: interval !== null ? Math.floor(interval / 1000) : out.intervalS,
    };
  }
  return out;
}

/**
 * OutlierDetection in force; null when not configured. Fields as istiod reads them: the wrapped
 * `consecutive5xxErrors` and `consecutiveGatewayErrors` are set when written (0 included), the
 * deprecated `consecutiveErrors` is ignored, `maxEjectionPercent` 0 counts as unset (Envoy's 10).
 */
export function outlierDetection(od: unknown): OutlierDetectionView | null {
  if (!isRecord(od)) return null;
  const d = OUTLIER_DEFAULTS;
  const unset: OutlierOptionalField[] = [];
  const num = (v: unknown, def: number, field: OutlierOptionalField): number => {
    if (typeof v === 'number' && (v > 0 || (v === 0 && field !== 'maxEjectionPercent'))) return v;
    unset.push(field);
    return def;
  };
  const ms = (v: unknown, def: number, field: OutlierOptionalField): number => {
    const m = durationMs(v);
    if (m !== null) return m;
    unset.push(field);
    return def;
  };
  return {
    consecutive5xxErrors: num(od.consecutive5xxErrors, d.consecutive5xxErrors, 'consecutive5xxErrors'),
    consecutiveGatewayErrors: num(od.consecutiveGatewayErrors, d.consecutiveGatewayErrors, 'consecutiveGatewayErrors'),
    intervalMs: ms(od.interval, d.intervalMs, 'interval'),
    baseEjectionTimeMs: ms(od.baseEjectionTime, d.baseEjectionTimeMs, 'baseEjectionTime'),
    maxEjectionPercent: num(od.maxEjectionPercent, d.maxEjectionPercent, 'maxEjectionPercent'),
    minHealthPercent: typeof od.minHealthPercent === 'number' && od.minHealthPercent > 0 ? od.minHealthPercent : d.minHealthPercent,
    splitExternalLocalOriginErrors: od.splitExternalLocalOriginErrors === true,
    consecutiveLocalOriginFailures: typeof od.consecutiveLocalOriginFailures === 'number' && od.consecutiveLocalOriginFailures > 0 ? od.consecutiveLocalOriginFailures : 0,
    unset,
  };
}

const nonEmptyStrings = (v: unknown): readonly string[] | undefined => {
  const list = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
  return list.length > 0 ? list : undefined;
};

/** istiod `GetMinTLSVersion`: TLSV1_3 is TLS 1.3, any other set value TLS 1.2; undefined for TLS_AUTO or unset. */
function minVersion(v: unknown): 'TLSV1_2' | 'TLSV1_3' | undefined {
  if (typeof v !== 'string' || v === '' || v === 'TLS_AUTO') return undefined;
  return v === 'TLSV1_3' ? 'TLSV1_3' : 'TLSV1_2';
}

const TLS_DEFAULTS = new WeakMap<MeshConfig, MeshTlsDefaultsView | null>();

/** MeshConfig `tlsDefaults` ({@link MeshTlsDefaultsView}); null when it sets nothing. One object per MeshConfig. */
export function meshTlsDefaults(mc: MeshConfig): MeshTlsDefaultsView | null {
  let out = TLS_DEFAULTS.get(mc);
  if (out !== undefined) return out;
  const t = isRecord(mc.raw.tlsDefaults) ? mc.raw.tlsDefaults : {};
  const min = minVersion(t.minProtocolVersion);
  const cipherSuites = nonEmptyStrings(t.cipherSuites);
  const ecdhCurves = nonEmptyStrings(t.ecdhCurves);
  out = min || cipherSuites || ecdhCurves ? Object.freeze({ ...(min ? { minProtocolVersion: min } : {}), ...(cipherSuites ? { cipherSuites } : {}), ...(ecdhCurves ? { ecdhCurves } : {}) }) : null;
  TLS_DEFAULTS.set(mc, out);
  return out;
}

/** MeshConfig `meshMTLS` as the inbound mTLS context reads it ({@link InboundView.meshMtls}); undefined when it sets neither field. */
export function meshMtlsOf(mc: MeshConfig): InboundView['meshMtls'] {
  const m = isRecord(mc.raw.meshMTLS) ? mc.raw.meshMTLS : {};
  const min = minVersion(m.minProtocolVersion);
  const cipherSuites = nonEmptyStrings(m.cipherSuites);
  return min || cipherSuites ? { minProtocolVersion: min ?? 'TLSV1_2', ...(cipherSuites ? { cipherSuites } : {}) } : undefined;
}
