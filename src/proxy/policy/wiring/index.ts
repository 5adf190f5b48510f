/**
 * The policy units as core extensions: load balancers for ROUND_ROBIN, LEAST_REQUEST, RANDOM,
 * RING_HASH and MAGLEV (with circuit breakers and outlier detection per cluster), the router interceptor
 * (retries, timeouts, mirrors, circuit breaking, outlier feedback) and the fault filter. One call per
 * proxy: `src/proxy/extensions.ts` merges the result into the registry.
 */
import type { Cluster } from '../../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { RouteConfiguration } from '../../../xds/gen/envoy/config/route/v3/route_pb.js';
import type { HttpFilterFactory, LoadBalancerFactory, RouterInterceptor } from '../../http/pipeline.js';
import type { Clock, RandomSource } from '../_common.js';
import { FAULT_FILTER_NAME } from '../fault.js';
import { ClusterPolicies } from './cluster-state.js';
import { faultFilterFactory } from './fault-filter.js';
import { routerPolicies } from './router-interceptor.js';
import { validateClusterPolicies, validateRoutePolicies } from './validate.js';

export interface PolicyExtensionOptions {
  /** @default Math.random */
  readonly random?: RandomSource;
  /** Monotonic ms. @default performance.now */
  readonly clock?: Clock;
}

export interface PolicyExtensions {
  readonly httpFilters: readonly (readonly [string, HttpFilterFactory])[];
  readonly loadBalancers: readonly (readonly [string, LoadBalancerFactory])[];
  readonly routerInterceptors: readonly RouterInterceptor[];
  readonly validators: { cluster(c: Cluster): void; route(rc: RouteConfiguration): void };
  readonly clusters: ClusterPolicies;
}

export function policyExtensions(o: PolicyExtensionOptions = {}): PolicyExtensions {
  const random = o.random ?? Math.random;
  const clock = o.clock ?? (() => performance.now());
  const clusters = new ClusterPolicies(clock);
  return {
    httpFilters: [[FAULT_FILTER_NAME, faultFilterFactory(random)]],
    loadBalancers: ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH', 'MAGLEV', 'CLUSTER_PROVIDED'].map((n) => [n, clusters.factory] as const),
    routerInterceptors: [routerPolicies(clusters, random, clock)],
    validators: { cluster: validateClusterPolicies, route: validateRoutePolicies },
    clusters,
  };
}
