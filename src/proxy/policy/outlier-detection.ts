/**
 * Outlier detection: `Cluster.outlier_detection` as Envoy's `DetectorImpl`
 * (`source/common/upstream/outlier_detection_impl.cc`) runs it, for the consecutive-error
 * detectors Istio configures: `consecutive_5xx`, `consecutive_gateway_failure`, and
 * `consecutive_local_origin_failure` when `split_external_local_origin_errors` is set.
 *
 * A counter reaching its threshold (exactly, as Envoy's `==`) asks for an ejection; it happens when
 * (ejected + 1) / hosts ≤ `max_ejection_percent` and the `enforcing_*` percentage draw passes. An
 * ejected host stays out for min(`base_ejection_time` × backoff, `max_ejection_time`) + jitter,
 * where backoff grows by one per ejection and shrinks by one per `interval` the host stays healthy.
 * Unejection is checked only on the interval timer, as in Envoy. Any non-5xx response resets the
 * 5xx and gateway counters.
 */
import type { OutlierDetection } from '../../xds/gen/envoy/config/cluster/v3/outlier_detection_pb.js';
import { ConfigError } from '../config/config-error.js';
import { durationMs, randomBelow, type Clock, type RandomSource } from './_common.js';
import type { Host, HostSet } from './lb/host-set.js';

/** The detector's settings with Envoy's defaults filled in. Milliseconds and percentages. */
export interface OutlierConfig {
  readonly intervalMs: number; // default 10 000
  readonly baseEjectionTimeMs: number; // default 30 000
  readonly maxEjectionTimeMs: number; // default max(300 000, base)
  readonly maxEjectionTimeJitterMs: number; // default 0
  readonly maxEjectionPercent: number; // default 10
  readonly consecutive5xx: number; // default 5
  readonly enforcingConsecutive5xx: number; // default 100
  readonly consecutiveGatewayFailure: number; // default 5
  readonly enforcingConsecutiveGatewayFailure: number; // default 0
  readonly splitExternalLocalOriginErrors: boolean;
  readonly consecutiveLocalOriginFailure: number; // default 5
  readonly enforcingConsecutiveLocalOriginFailure: number; // default 100
  readonly alwaysEjectOneHost: boolean;
}

/** Reads `OutlierDetection` with Envoy's defaults; throws {@link ConfigError} when `max_ejection_time` < `base_ejection_time`. */
export function outlierConfig(od: OutlierDetection): OutlierConfig {
  const base = durationMs(od.baseEjectionTime) ?? 30_000;
  const max = durationMs(od.maxEjectionTime) ?? Math.max(300_000, base);
  if (max < base) throw new ConfigError('outlier_detection.max_ejection_time', `${max}ms is below base_ejection_time ${base}ms; it cannot be smaller`);
  const interval = durationMs(od.interval) ?? 10_000;
  if (interval <= 0) throw new ConfigError('outlier_detection.interval', `must be positive, got ${interval}ms`);
  return {
    intervalMs: interval,
    baseEjectionTimeMs: base,
    maxEjectionTimeMs: max,
    maxEjectionTimeJitterMs: durationMs(od.maxEjectionTimeJitter) ?? 0,
    maxEjectionPercent: Math.min(100, od.maxEjectionPercent ?? 10),
    consecutive5xx: od.consecutive5xx ?? 5,
    enforcingConsecutive5xx: od.enforcingConsecutive5xx ?? 100,
    consecutiveGatewayFailure: od.consecutiveGatewayFailure ?? 5,
    enforcingConsecutiveGatewayFailure: od.enforcingConsecutiveGatewayFailure ?? 0,
    splitExternalLocalOriginErrors: od.splitExternalLocalOriginErrors,
    consecutiveLocalOriginFailure: od.consecutiveLocalOriginFailure ?? 5,
    enforcingConsecutiveLocalOriginFailure: od.enforcingConsecutiveLocalOriginFailure ?? 100,
    alwaysEjectOneHost: od.alwaysEjectOneHost ?? false,
  };
}

/**
 * A locally observed result (Envoy `Outlier::Result`): `connect-failed` and `timeout` are local-origin
 * failures, `connect-success` a local-origin success (the HTTP status follows separately).
 */
export type LocalResult = 'connect-failed' | 'timeout' | 'connect-success';

/** Per-host counters (Envoy `DetectorHostMonitorImpl`). */
export interface HostMonitor {
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  consecutiveLocalOriginFailure: number;
  numEjections: number;
  ejectTimeBackoff: number;
  lastEjectionMs: number | undefined;
  lastUnejectionMs: number | undefined;
  jitterMs: number;
}

type Kind = '5xx' | 'gateway' | 'local';

/** One cluster's detector. Feed it results; run {@link onIntervalTimer} every `intervalMs` (see {@link startOutlierTimer}). */
/**
 * Envoy's `cluster.<name>.outlier_detection.*` statistics, as the detector updates them: `ejections_active`
 * (gauge), `ejections_overflow` (refused by `max_ejection_percent`), `ejections_enforced_total`, and per
 * kind `ejections_detected_consecutive_*` (the threshold was reached) and `ejections_enforced_consecutive_*`
 * (the host was ejected). The proxy's `ClusterStats` is one.
 */
export interface OutlierStats {
  outlier_detection_ejections_active: number;
  outlier_detection_ejections_overflow: number;
  outlier_detection_ejections_enforced_total: number;
  outlier_detection_ejections_detected_consecutive_5xx: number;
  outlier_detection_ejections_enforced_consecutive_5xx: number;
  outlier_detection_ejections_detected_consecutive_gateway_failure: number;
  outlier_detection_ejections_enforced_consecutive_gateway_failure: number;
  outlier_detection_ejections_detected_consecutive_local_origin_failure: number;
  outlier_detection_ejections_enforced_consecutive_local_origin_failure: number;
}

const STAT_KIND: Record<Kind, 'consecutive_5xx' | 'consecutive_gateway_failure' | 'consecutive_local_origin_failure'> = {
  '5xx': 'consecutive_5xx', gateway: 'consecutive_gateway_failure', local: 'consecutive_local_origin_failure',
};

export class OutlierDetector {
  readonly config: OutlierConfig;
  private readonly monitors = new Map<Host, HostMonitor>();
  /** Hosts currently ejected. */
  ejectionsActive = 0;
  /** Envoy `ejections_overflow`: ejections refused by `max_ejection_percent`. */
  overflows = 0;

  /** @param stats where Envoy's outlier statistics are kept (the cluster's stats in the proxy). @default none */
  constructor(od: OutlierDetection, private set: HostSet, private readonly clock: Clock, private readonly random: RandomSource, private readonly stats?: OutlierStats) {
    this.config = outlierConfig(od);
    for (const h of set.hosts) this.monitors.set(h, newMonitor());
    this.setActive(set.hosts.filter((h) => h.ejected).length);
  }

  private setActive(n: number): void {
    this.ejectionsActive = n;
    if (this.stats) this.stats.outlier_detection_ejections_active = n;
  }

  /** EDS changed: keep monitors of hosts still present (same objects), add new ones, drop removed ones. */
  updateHosts(set: HostSet): void {
    const next = new Map<Host, HostMonitor>();
    for (const h of set.hosts) next.set(h, this.monitors.get(h) ?? newMonitor());
    this.monitors.clear();
    for (const [h, m] of next) this.monitors.set(h, m);
    this.set = set;
    this.setActive(set.hosts.filter((h) => h.ejected).length);
    set.healthChanged();
  }

  /** The counters of a host (for tests and the admin page); `undefined` for a host not in the set. */
  monitor(host: Host): Readonly<HostMonitor> | undefined {
    return this.monitors.get(host);
  }

  /** Envoy `putHttpResponseCode`: a 5xx counts (502/503/504 also as gateway failures); anything else resets both. */
  putHttpStatus(host: Host, status: number): void {
    const m = this.monitors.get(host);
    if (!m) return;
    if (status >= 500 && status < 600) {
      if (status === 502 || status === 503 || status === 504) {
        if (++m.consecutiveGatewayFailure === this.config.consecutiveGatewayFailure) this.onConsecutive(host, m, 'gateway');
      } else {
        m.consecutiveGatewayFailure = 0;
      }
      if (++m.consecutive5xx === this.config.consecutive5xx) this.onConsecutive(host, m, '5xx');
    } else {
      m.consecutive5xx = 0;
      m.consecutiveGatewayFailure = 0;
    }
  }

  /**
   * Envoy `putResult` for a locally observed result. Not split: a connect failure counts as 503 and
   * a timeout as 504. Split: both count as local-origin failures, a connect success resets them.
   */
  putLocalResult(host: Host, result: LocalResult): void {
    const m = this.monitors.get(host);
    if (!m) return;
    if (!this.config.splitExternalLocalOriginErrors) {
      if (result === 'connect-failed') this.putHttpStatus(host, 503);
      else if (result === 'timeout') this.putHttpStatus(host, 504);
      return;
    }
    if (result === 'connect-success') {
      m.consecutiveLocalOriginFailure = 0;
      return;
    }
    if (++m.consecutiveLocalOriginFailure === this.config.consecutiveLocalOriginFailure) this.onConsecutive(host, m, 'local');
  }

  private onConsecutive(host: Host, m: HostMonitor, kind: Kind): void {
    if (host.ejected) return;
    if (this.stats) this.stats[`outlier_detection_ejections_detected_${STAT_KIND[kind]}`]++;
    this.eject(host, m, kind);
    if (kind === '5xx') m.consecutive5xx = 0;
    else if (kind === 'gateway') m.consecutiveGatewayFailure = 0;
    else m.consecutiveLocalOriginFailure = 0;
  }

  private enforcing(kind: Kind): number {
    const c = this.config;
    return kind === '5xx' ? c.enforcingConsecutive5xx : kind === 'gateway' ? c.enforcingConsecutiveGatewayFailure : c.enforcingConsecutiveLocalOriginFailure;
  }

  private eject(host: Host, m: HostMonitor, kind: Kind): void {
    const c = this.config;
    const pct = (100 * (this.ejectionsActive + 1)) / this.monitors.size;
    const allowed = pct <= c.maxEjectionPercent || (c.alwaysEjectOneHost && this.ejectionsActive === 0);
    if (!allowed) {
      this.overflows++;
      if (this.stats) this.stats.outlier_detection_ejections_overflow++;
      return;
    }
    const enforce = this.enforcing(kind);
    if (enforce < 100 && !(enforce > 0 && randomBelow(this.random, 100) < enforce)) return;
    host.ejected = true;
    this.setActive(this.ejectionsActive + 1);
    if (this.stats) {
      this.stats.outlier_detection_ejections_enforced_total++;
      this.stats[`outlier_detection_ejections_enforced_${STAT_KIND[kind]}`]++;
    }
    m.numEjections++;
    m.lastEjectionMs = this.clock();
    m.jitterMs = c.maxEjectionTimeJitterMs > 0 ? randomBelow(this.random, c.maxEjectionTimeJitterMs + 1) : 0;
    if (m.ejectTimeBackoff * c.baseEjectionTimeMs < c.maxEjectionTimeMs + c.baseEjectionTimeMs) m.ejectTimeBackoff++;
    this.set.healthChanged();
  }

  /** How long `host`'s current ejection lasts, in ms (for tests and the admin page). */
  ejectionDurationMs(host: Host): number {
    const m = this.monitors.get(host);
    if (!m) return 0;
    return Math.min(this.config.baseEjectionTimeMs * m.ejectTimeBackoff, this.config.maxEjectionTimeMs) + m.jitterMs;
  }

  /** Envoy `onIntervalTimer`: uneject hosts whose time is up; shrink the backoff of hosts healthy for a whole interval. */
  onIntervalTimer(): void {
    const now = this.clock();
    let changed = false;
    for (const [h, m] of this.monitors) {
      if (!h.ejected || m.lastEjectionMs === undefined) continue;
      if (this.ejectionDurationMs(h) <= now - m.lastEjectionMs) {
        h.ejected = false;
        this.setActive(this.ejectionsActive - 1);
        m.consecutive5xx = 0;
        m.consecutiveGatewayFailure = 0;
        m.consecutiveLocalOriginFailure = 0;
        m.lastUnejectionMs = now;
        changed = true;
      }
    }
    for (const [h, m] of this.monitors) {
      if (h.ejected || m.lastUnejectionMs === undefined) continue;
      if (now - m.lastUnejectionMs >= this.config.intervalMs && m.ejectTimeBackoff > 0) m.ejectTimeBackoff--;
    }
    if (changed) this.set.healthChanged();
  }
}

function newMonitor(): HostMonitor {
  return { consecutive5xx: 0, consecutiveGatewayFailure: 0, consecutiveLocalOriginFailure: 0, numEjections: 0, ejectTimeBackoff: 0, lastEjectionMs: undefined, lastUnejectionMs: undefined, jitterMs: 0 };
}

/** Runs the detector's interval timer on the real clock (unref'd: it never keeps the process alive). Returns a stop function. */
export function startOutlierTimer(d: OutlierDetector): () => void {
  const t = setInterval(() => d.onIntervalTimer(), d.config.intervalMs);
  t.unref();
  return () => clearInterval(t);
}
