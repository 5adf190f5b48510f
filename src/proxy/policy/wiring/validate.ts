/**
 * Config-time checks of what the policy units read, so a resource they cannot apply is NACKed with
 * the field path (as Envoy rejects it) instead of failing requests later: a Cluster's balancer
 * settings and outlier detection, a RouteConfiguration's retry policies (virtual host and route),
 * mirror policies, hash policies and timeouts.
 */
import type { Cluster } from '../../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { RouteConfiguration } from '../../../xds/gen/envoy/config/route/v3/route_pb.js';
import { under } from '../../config/config-error.js';
import { compileHashPolicy } from '../hash-policy.js';
import { checkLbPolicy } from '../lb/index.js';
import { compileMirrorPolicies } from '../mirror.js';
import { outlierConfig } from '../outlier-detection.js';
import { compileRetryPolicy } from '../retry.js';

/** Throws a ConfigError for a cluster the policy units cannot apply. */
export function validateClusterPolicies(c: Cluster): void {
  checkLbPolicy(c);
  if (c.outlierDetection) outlierConfig(c.outlierDetection);
}

/** Throws a ConfigError (path from the RouteConfiguration) for a route the policy units cannot apply. */
export function validateRoutePolicies(rc: RouteConfiguration): void {
  rc.virtualHosts.forEach((vh, i) => under(`virtual_hosts[${i}]`, () => {
    if (vh.retryPolicy) under('retry_policy', () => compileRetryPolicy(vh.retryPolicy));
    vh.routes.forEach((r, j) => under(`routes[${j}]`, () => {
      if (r.action.case !== 'route') return;
      const a = r.action.value;
      under('route', () => {
        if (a.retryPolicy) under('retry_policy', () => compileRetryPolicy(a.retryPolicy));
        compileMirrorPolicies(a.requestMirrorPolicies);
        compileHashPolicy(a.hashPolicy);
      });
    }));
  }));
}
