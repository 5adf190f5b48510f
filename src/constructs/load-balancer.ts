import type { IConstruct } from 'constructs';
import {
  type DestinationRuleSpecTrafficPolicyLoadBalancer,
  type DestinationRuleSpecTrafficPolicyLoadBalancerConsistentHash,
  DestinationRuleSpecTrafficPolicyLoadBalancerSimple as Simple,
} from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkHeaderName, oneOf } from './_validate.js';
import { checkCount, optDuration, prune } from './connection-pool.js';
import type { Duration } from './duration.js';

/** Load-balancing algorithms that need no tuning (Istio `LoadBalancerSettings.SimpleLB`). */
export type SimpleLoadBalancer = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH';

const SIMPLE: Record<SimpleLoadBalancer, Simple> = {
  ROUND_ROBIN: Simple.ROUND_UNDERSCORE_ROBIN,
  LEAST_REQUEST: Simple.LEAST_UNDERSCORE_REQUEST,
  RANDOM: Simple.RANDOM,
  PASSTHROUGH: Simple.PASSTHROUGH,
};

/** The cookie to hash on; Envoy sets it when absent and `ttl` is given (Istio `ConsistentHashLB.HTTPCookie`). */
export interface HashCookie {
  /** Cookie name. */
  readonly name: string;
  /**
   * Cookie lifetime; Envoy generates the cookie only when a ttl is set.
   * @default - no ttl: the cookie is read but never generated
   */
  readonly ttl?: Duration | string;
  /**
   * Cookie path.
   * @default - no path attribute
   */
  readonly path?: string;
}

/**
 * Soft session affinity (Istio `ConsistentHashLB`). Set exactly one hash key: `httpHeaderName`,
 * `httpCookie`, `useSourceIp` or `httpQueryParameterName`. Choose the ring-hash (`minimumRingSize`)
 * or Maglev (`maglevTableSize`) table, or neither for Istio's default.
 */
export interface ConsistentHashOptions {
  /** Hash on this (lower-case) request header. @default - not used */
  readonly httpHeaderName?: string;
  /** Hash on this cookie. @default - not used */
  readonly httpCookie?: HashCookie;
  /** Hash on the client's source IP. @default false */
  readonly useSourceIp?: boolean;
  /** Hash on this query parameter. @default - not used */
  readonly httpQueryParameterName?: string;
  /** Use ring hash with at least this many virtual nodes (`ringHash.minimumRingSize`). @default - Istio's default */
  readonly minimumRingSize?: number;
  /** Use Maglev with this table size, a prime (`maglev.tableSize`). @default - Istio's default, 65537 */
  readonly maglevTableSize?: number;
}

/** How requests are spread over a destination's hosts (Istio `LoadBalancerSettings`): simple or consistent hash. */
export type LoadBalancerOptions =
  | { readonly simple: SimpleLoadBalancer; readonly consistentHash?: never }
  | { readonly consistentHash: ConsistentHashOptions; readonly simple?: never };

/** Maps `LoadBalancerOptions` to Istio's `loadBalancer`, naming `field` on error. */
export function translateLoadBalancer(
  scope: IConstruct, field: string, o: LoadBalancerOptions,
): DestinationRuleSpecTrafficPolicyLoadBalancer {
  if ((o.simple === undefined) === (o.consistentHash === undefined)) {
    throw new PropError('MP_INVALID_PROP', scope, field, o, 'expected exactly one of simple or consistentHash');
  }
  if (o.simple !== undefined) {
    return { simple: oneOf(scope, `${field}.simple`, o.simple, SIMPLE) };
  }
  return { consistentHash: translateConsistentHash(scope, `${field}.consistentHash`, o.consistentHash!) };
}

function translateConsistentHash(
  scope: IConstruct, field: string, o: ConsistentHashOptions,
): DestinationRuleSpecTrafficPolicyLoadBalancerConsistentHash {
  const keys = (['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const)
    .filter((k) => o[k] !== undefined && o[k] !== false);
  if (keys.length !== 1) {
    throw new PropError('MP_INVALID_PROP', scope, field, o,
      'expected exactly one hash key: httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName');
  }
  if (o.minimumRingSize !== undefined && o.maglevTableSize !== undefined) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.maglevTableSize`, o.maglevTableSize,
      'expected either minimumRingSize (ring hash) or maglevTableSize (Maglev), not both');
  }
  if (o.maglevTableSize !== undefined) {
    checkCount(scope, `${field}.maglevTableSize`, o.maglevTableSize, { min: 2, max: 5_000_011 });
    if (!isPrime(o.maglevTableSize)) {
      throw new PropError('MP_INVALID_PROP', scope, `${field}.maglevTableSize`, o.maglevTableSize,
        'expected a prime number (Envoy requires it), e.g. 65537');
    }
  }
  const cookie = o.httpCookie;
  return prune({
    httpHeaderName: o.httpHeaderName === undefined ? undefined : checkHeaderName(scope, `${field}.httpHeaderName`, o.httpHeaderName),
    httpCookie: cookie && {
      name: nonEmpty(scope, `${field}.httpCookie.name`, cookie.name),
      ttl: optDuration(scope, `${field}.httpCookie.ttl`, cookie.ttl),
      path: cookie.path,
    },
    useSourceIp: o.useSourceIp || undefined,
    httpQueryParameterName: o.httpQueryParameterName === undefined ? undefined
      : nonEmpty(scope, `${field}.httpQueryParameterName`, o.httpQueryParameterName),
    ringHash: o.minimumRingSize === undefined ? undefined
      : { minimumRingSize: checkCount(scope, `${field}.minimumRingSize`, o.minimumRingSize, { min: 1, max: Number.MAX_SAFE_INTEGER }) },
    maglev: o.maglevTableSize === undefined ? undefined : { tableSize: o.maglevTableSize },
  });
}

function nonEmpty(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new PropError('MP_INVALID_PROP', scope, field, value, 'expected a non-empty string');
  }
  return value;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}
