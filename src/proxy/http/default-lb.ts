/**
 * The load balancer the core uses for a cluster whose `lb_policy` has no registered unit: round robin
 * over the healthy hosts (Envoy's ROUND_ROBIN without weights). The policy units in
 * src/proxy/policy/lb/ replace it per policy through `ProxyExtensions.loadBalancers`.
 */
import type { LoadBalancer, UpstreamHost } from './pipeline.js';

export function roundRobinFallback(hosts: readonly UpstreamHost[]): LoadBalancer {
  const healthy = hosts.filter((h) => h.healthy);
  let next = 0;
  return {
    choose: () => {
      if (healthy.length === 0) return undefined;
      const h = healthy[next % healthy.length]!;
      next = (next + 1) % healthy.length;
      return h;
    },
  };
}
