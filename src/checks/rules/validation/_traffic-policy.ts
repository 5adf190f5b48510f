// What Istio's webhook refuses inside one DestinationRule traffic policy (top-level, subset or port-level)
// beyond the CRD schema: istio/istio pkg/config/validation/validation.go validateConnectionPool,
// validateOutlierDetection and validateLoadBalancer, and agent.ValidateTLS (in _client-tls.ts).
import { isRecord } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';
import { clientTlsProblems } from './_client-tls.js';
import { durationPrecisionProblem } from './_durations.js';
import { localityProblems } from './_locality.js';

/** One refusal: the webhook's words plus advice, and the field it is about (relative to the policy). */
export type PolicyProblem = readonly [message: string, at: FieldPath];

const HTTP_COUNTS = ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'maxConcurrentStreams'];
const MAGLEV_TABLE_LIMIT = 5000011;

/** Envoy's isPrime (source/common/common/utility.cc), which Istio copies. */
function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f <= Math.floor(Math.sqrt(x)); f += 2) if (x % f === 0) return false;
  return true;
}

function connectionPoolProblems(pool: unknown): PolicyProblem[] {
  if (!isRecord(pool)) return [];
  const out: PolicyProblem[] = [];
  if (!isRecord(pool.http) && !isRecord(pool.tcp)) {
    return [['connection pool must have at least one field: connectionPool sets neither http nor tcp; add the limits meant or remove it', ['connectionPool']]];
  }
  const http = isRecord(pool.http) ? pool.http : {};
  for (const k of HTTP_COUNTS) {
    if (typeof http[k] === 'number' && Number.isFinite(http[k]) && http[k] < 0) out.push([`connectionPool.http.${k} must be non-negative (got ${http[k]})`, ['connectionPool', 'http', k]]);
  }
  if (http.h2UpgradePolicy === 'UPGRADE' && http.useClientProtocol === true) {
    out.push(['use client protocol must not be true when H2UpgradePolicy is UPGRADE: connectionPool.http asks to upgrade to HTTP/2 and to keep the ' +
      'client\'s protocol at once; drop useClientProtocol to upgrade, or drop h2UpgradePolicy to follow the client', ['connectionPool', 'http', 'useClientProtocol']]);
  }
  if (isRecord(http.http2KeepAlive)) {
    for (const k of ['interval', 'timeout']) {
      if (http.http2KeepAlive[k] === undefined) out.push([`http2 keepalive ${k} is required: connectionPool.http.http2KeepAlive sets no ${k}`, ['connectionPool', 'http', 'http2KeepAlive']]);
    }
  }
  const tcp = isRecord(pool.tcp) ? pool.tcp : {};
  if (typeof tcp.maxConnections === 'number' && Number.isFinite(tcp.maxConnections) && tcp.maxConnections < 0) out.push([`connectionPool.tcp.maxConnections must be non-negative (got ${tcp.maxConnections})`, ['connectionPool', 'tcp', 'maxConnections']]);
  return out;
}

/** Istio ValidatePercent on the integer outlier percentages (Envoy's max_ejection_percent is also lte 100). */
const OUTLIER_PERCENTS: readonly [string, string][] = [
  ['maxEjectionPercent', 'the most of the hosts ejected at once'],
  ['minHealthPercent', 'the healthy share below which outlier detection turns off'],
];

function outlierProblems(outlier: unknown): PolicyProblem[] {
  if (!isRecord(outlier)) return [];
  const out: PolicyProblem[] = [];
  const local = outlier.consecutiveLocalOriginFailures;
  if (outlier.splitExternalLocalOriginErrors !== true && typeof local === 'number' && local > 0) {
    out.push(['outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false: ' +
      'set outlierDetection.splitExternalLocalOriginErrors: true, or remove consecutiveLocalOriginFailures', ['outlierDetection', 'consecutiveLocalOriginFailures']]);
  }
  for (const [k, what] of OUTLIER_PERCENTS) {
    const v = outlier[k];
    if (typeof v === 'number' && Number.isFinite(v) && (v < 0 || v > 100)) {
      out.push([`percentage ${v} is not in range 0..100: outlierDetection.${k} (${what}) is a percentage of the hosts; set it between 0 and 100`, ['outlierDetection', k]]);
    }
  }
  return out;
}

function loadBalancerProblems(lb: unknown): PolicyProblem[] {
  if (!isRecord(lb)) return [];
  const out: PolicyProblem[] = [];
  const hash = isRecord(lb.consistentHash) ? lb.consistentHash : undefined;
  const cookie = hash && isRecord(hash.httpCookie) ? hash.httpCookie : undefined;
  // A missing name is the CRD's (required field); an empty one the webhook's.
  if (cookie && cookie.name === '') {
    out.push(['name required for HttpCookie: loadBalancer.consistentHash.httpCookie.name is empty; name the cookie that carries the hash key (e.g. name: session)', ['loadBalancer', 'consistentHash', 'httpCookie', 'name']]);
  }
  const seen = new Set<string>();
  (cookie && Array.isArray(cookie.attributes) ? cookie.attributes : []).forEach((a, i) => {
    if (!isRecord(a)) return;
    const at: FieldPath = ['loadBalancer', 'consistentHash', 'httpCookie', 'attributes', i, 'name'];
    if (typeof a.name !== 'string' || a.name === '') out.push(['cookie attribute name cannot be empty: name the attribute (e.g. SameSite) or remove the entry', at]);
    else if (seen.has(a.name)) out.push([`duplicate cookie attribute name: ${a.name}; keep one entry per attribute`, at]);
    else seen.add(a.name);
  });
  if (hash && typeof hash.minimumRingSize === 'number' && hash.minimumRingSize !== 0 && (hash.ringHash !== undefined || hash.maglev !== undefined)) {
    out.push(['only one of MinimumRingSize or Maglev/Ringhash can be specified: loadBalancer.consistentHash sets the deprecated minimumRingSize beside ' +
      `${hash.ringHash !== undefined ? 'ringHash' : 'maglev'}; move the size into ringHash.minimumRingSize and remove the top-level one`, ['loadBalancer', 'consistentHash', 'minimumRingSize']]);
  }
  const maglev = isRecord(lb.consistentHash) && isRecord(lb.consistentHash.maglev) ? lb.consistentHash.maglev : undefined;
  if (maglev) {
    const size = typeof maglev.tableSize === 'number' ? maglev.tableSize : 0;
    const at: FieldPath = ['loadBalancer', 'consistentHash', 'maglev', 'tableSize'];
    if (size === 0) out.push(['tableSize must be set for maglev: loadBalancer.consistentHash.maglev has no tableSize; set a prime such as 65537', at]);
    else if (size >= MAGLEV_TABLE_LIMIT) out.push([`tableSize must be less than ${MAGLEV_TABLE_LIMIT} for maglev (got ${size})`, at]);
    else if (!isPrime(size)) out.push([`tableSize must be a prime number for maglev (got ${size}); use a prime such as 65537`, at]);
  }
  if (lb.localityLbSetting !== undefined && lb.zoneAwareLbSetting !== undefined) {
    out.push(['only one of localityLbSetting and zoneAwareLbSetting can be set', ['loadBalancer']]);
  }
  out.push(...localityProblems(lb));
  const aggression = isRecord(lb.warmup) ? lb.warmup.aggression : undefined;
  if (typeof aggression === 'number' && aggression <= 0) {
    out.push([`aggression should be greater than 0: loadBalancer.warmup.aggression is ${aggression}; use 1 (linear ramp-up) or more, or remove it`, ['loadBalancer', 'warmup', 'aggression']]);
  }
  return out;
}

/** The durations of one policy that agent.ValidateDuration checks, as paths relative to the policy. */
const DURATIONS: readonly FieldPath[] = [
  ['outlierDetection', 'baseEjectionTime'], ['outlierDetection', 'interval'],
  ['connectionPool', 'http', 'idleTimeout'], ['connectionPool', 'http', 'http2KeepAlive', 'interval'], ['connectionPool', 'http', 'http2KeepAlive', 'timeout'],
  ['connectionPool', 'tcp', 'connectTimeout'], ['connectionPool', 'tcp', 'maxConnectionDuration'], ['connectionPool', 'tcp', 'idleTimeout'],
  ['connectionPool', 'tcp', 'tcpKeepalive', 'time'], ['connectionPool', 'tcp', 'tcpKeepalive', 'interval'], ['loadBalancer', 'warmup', 'duration'],
];

function durationProblems(policy: Readonly<Record<string, unknown>>): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  for (const at of DURATIONS) {
    let v: unknown = policy;
    for (const k of at) v = isRecord(v) ? v[k as string] : undefined;
    const why = durationPrecisionProblem(v, at.join('.'), at[1] === 'tcp' && at[2] === 'idleTimeout');
    if (why) out.push([why, at]);
  }
  return out;
}

/** Every refusal in one traffic policy's own connection pool, outlier detection, load balancer and client TLS settings. */
export function trafficPolicyProblems(policy: Readonly<Record<string, unknown>>): PolicyProblem[] {
  return [...connectionPoolProblems(policy.connectionPool), ...outlierProblems(policy.outlierDetection), ...loadBalancerProblems(policy.loadBalancer),
    ...clientTlsProblems(policy.tls), ...durationProblems(policy)];
}
