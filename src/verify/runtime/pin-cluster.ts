/**
 * Caller routes that reach one cluster of a host directly: Envoy keeps circuit breakers per
 * cluster (each subset cluster `outbound|8080|v1|cart…` has its own connection-pool limits), so a
 * proof of them must load one cluster, whatever share the host's routes give it (an 80/20 canary
 * gives the 20 % cluster a fifth of a burst, and no cluster overflows).
 */
import { clone } from '@bufbuild/protobuf';
import { HeaderMatcherSchema, RouteMatchSchema, RouteSchema } from '../../xds/gen/envoy/config/route/v3/route_components_pb.js';
import { type RouteConfiguration, RouteConfigurationSchema } from '../../xds/gen/envoy/config/route/v3/route_pb.js';
import { createMessage as create } from '../../xds/create-message.js';

/** Request header naming the cluster a pinned request goes to. */
export const PIN_HEADER = 'x-meshproof-cluster';

/** The outbound clusters of `host:port` in `clusters` (`outbound|<port>|<subset>|<host>`, the subset-less one first). */
export function clustersOfHost(clusters: readonly { readonly name: string }[], host: string, port: number): string[] {
  return clusters.map((c) => c.name).filter((n) => n.startsWith(`outbound|${port}|`) && n.endsWith(`|${host}`))
    .sort((a, b) => (a === `outbound|${port}||${host}` ? -1 : b === `outbound|${port}||${host}` ? 1 : a.localeCompare(b)));
}

/**
 * `routes` with, in every virtual host serving `host`, one first route per cluster of `clusters`
 * that takes requests carrying `x-meshproof-cluster: <cluster>` straight there (no retries, no
 * timeout); other requests are routed as before. The given messages are not changed (the
 * translator's caches share them): virtual hosts that gain routes are copies.
 */
export function pinClusters(routes: readonly RouteConfiguration[], host: string, clusters: readonly string[]): RouteConfiguration[] {
  return routes.map((rc) => {
    if (!rc.virtualHosts.some((vh) => vh.domains.includes(host))) return rc;
    const copy = clone(RouteConfigurationSchema, rc);
    for (const vh of copy.virtualHosts) {
      if (!vh.domains.includes(host)) continue;
      const pinned = clusters.map((cluster) => create(RouteSchema, {
        name: `meshproof-pin ${cluster}`,
        match: create(RouteMatchSchema, {
          pathSpecifier: { case: 'prefix', value: '/' },
          headers: [create(HeaderMatcherSchema, { name: PIN_HEADER, headerMatchSpecifier: { case: 'stringMatch', value: { matchPattern: { case: 'exact', value: cluster } } } })],
        }),
        action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: cluster } } },
      }));
      vh.routes = [...pinned, ...vh.routes];
    }
    return copy;
  });
}
