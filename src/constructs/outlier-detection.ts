import type { IConstruct } from 'constructs';
import type { DestinationRuleSpecTrafficPolicyOutlierDetection } from '../../imports/networking.istio.io.js';
import { checkCount, optDuration, prune } from './connection-pool.js';
import type { Duration } from './duration.js';

const UINT32_MAX = 4_294_967_295;

/**
 * Passive health checking: hosts that keep failing are ejected from the load-balancing pool for a
 * while (Istio `OutlierDetection`). Istio's defaults when the block is present: consecutive5xxErrors
 * 5, interval 10s, baseEjectionTime 30s, maxEjectionPercent 10, minHealthPercent 0.
 */
export interface OutlierDetectionOptions {
  /**
   * 5xx responses (or connect failures, for TCP) in a row before a host is ejected; 0 disables
   * this check (`consecutive5xxErrors`).
   * @default - Istio's default, 5
   */
  readonly consecutive5xxErrors?: number;
  /**
   * 502, 503 or 504 responses (or connect failures) in a row before a host is ejected; 0 disables
   * this check (`consecutiveGatewayErrors`).
   * @default - disabled
   */
  readonly consecutiveGatewayErrors?: number;
  /**
   * Time between ejection sweeps, at least 1 ms (`interval`).
   * @default - Istio's default, 10s
   */
  readonly interval?: Duration | string;
  /**
   * Minimum ejection time; a host ejected n times stays out n × this long (`baseEjectionTime`).
   * @default - Istio's default, 30s
   */
  readonly baseEjectionTime?: Duration | string;
  /**
   * Most hosts of the pool that may be ejected at once, as an integer percentage 0-100
   * (`maxEjectionPercent`). Envoy still ejects at least one host.
   * @default - Istio's default, 10
   */
  readonly maxEjectionPercent?: number;
  /**
   * Outlier detection stays on while at least this integer percentage of hosts is healthy;
   * below it all hosts receive traffic again (`minHealthPercent`).
   * @default - Istio's default, 0
   */
  readonly minHealthPercent?: number;
}

/** Maps `OutlierDetectionOptions` to Istio's `outlierDetection`, naming `field` on error. */
export function translateOutlierDetection(
  scope: IConstruct, field: string, o: OutlierDetectionOptions,
): DestinationRuleSpecTrafficPolicyOutlierDetection {
  return prune({
    consecutive5XxErrors: optErrors(scope, `${field}.consecutive5xxErrors`, o.consecutive5xxErrors),
    consecutiveGatewayErrors: optErrors(scope, `${field}.consecutiveGatewayErrors`, o.consecutiveGatewayErrors),
    interval: optDuration(scope, `${field}.interval`, o.interval),
    baseEjectionTime: optDuration(scope, `${field}.baseEjectionTime`, o.baseEjectionTime),
    maxEjectionPercent: optPercent(scope, `${field}.maxEjectionPercent`, o.maxEjectionPercent),
    minHealthPercent: optPercent(scope, `${field}.minHealthPercent`, o.minHealthPercent),
  });
}

function optErrors(scope: IConstruct, field: string, value: number | undefined): number | undefined {
  return value === undefined ? undefined : checkCount(scope, field, value, { max: UINT32_MAX });
}

function optPercent(scope: IConstruct, field: string, value: number | undefined): number | undefined {
  return value === undefined ? undefined
    : checkCount(scope, field, value, { max: 100, code: 'MP_INVALID_PERCENT', hint: 'a whole percentage' });
}
