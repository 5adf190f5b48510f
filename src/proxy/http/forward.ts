/**
 * The router's upstream call: the core attempt (load balancer → host → HTTP/1.1 pool or HTTP/2
 * session) wrapped by the registered {@link RouterInterceptor}s, composed once per compiled route
 * and cached (a route that needs no policy gets the bare attempt: nothing added per request).
 */
import { getHeader } from '../header-mutation.js';
import type { CompiledRoute } from '../route-table.js';
import type { ClusterManager } from './cluster-manager.js';
import { type Exchange, type Forward, type ProxyExtensions, UpstreamError } from './pipeline.js';
import { buildUpstreamHeaders } from './upstream-request-headers.js';
import { forwardHttp1 } from './upstream-http1.js';

/** One upstream attempt with the cluster's load balancer; counts it on the cluster and the host. */
export function coreAttempt(clusters: ClusterManager): Forward {
  return (ex, d) => {
    const cluster = clusters.get(d.cluster);
    if (!cluster) return Promise.reject(new UpstreamError('NC', 503, 'cluster not found'));
    const host = cluster.lb.choose(ex);
    if (!host) {
      cluster.stats.upstream_cx_none_healthy++;
      return Promise.reject(new UpstreamError('UH', 503, 'no healthy upstream'));
    }
    ex.upstreamHost = host;
    ex.attempts++;
    const stats = cluster.stats;
    stats.upstream_rq_total++;
    stats.upstream_rq_active++;
    host.active++;
    const headers = buildUpstreamHeaders(ex, d, host);
    const protocol = cluster.config.protocol === 'downstream' ? (ex.downstream.protocol === 'HTTP/2' ? 'http2' : 'http1') : cluster.config.protocol;
    // istio.alpn: the ALPN for the protocol used (unless the cluster opts out); the pools apply it only to TLS connections.
    const alpn = ex.upstreamAlpn && cluster.config.alpnOverride ? (protocol === 'http2' ? ex.upstreamAlpn.http2 : ex.upstreamAlpn.http11) : undefined;
    // auto_sni: the SNI of a TLS connection is the Host the request goes upstream with (port dropped).
    const sni = cluster.config.autoSni ? sniOf(getHeader(headers, 'host') ?? ex.authority) : undefined;
    if (protocol !== 'http2') return forwardHttp1(cluster.pool(host, alpn, sni), host, stats, ex.method, d.path, headers, ex.body, ex, undefined, true);
    const done = () => { stats.upstream_rq_active--; host.active--; };
    const p = cluster.http2(host, alpn, sni).forward(ex.method, d.path, 'http', getHeader(headers, 'host') ?? ex.authority, headers, ex.body, ex.signal);
    p.then(done, done);
    return p;
  };
}

/** A Host header's host name, without port or IPv6 brackets; undefined when empty. */
function sniOf(authority: string | undefined): string | undefined {
  if (!authority) return undefined;
  const host = authority.startsWith('[') ? authority.slice(1, authority.indexOf(']')) : authority.replace(/:\d+$/, '');
  return host || undefined;
}

/** Forward chains per compiled route. */
export class ForwardChains {
  private readonly cache = new WeakMap<CompiledRoute, Forward>();
  private readonly core: Forward;

  constructor(clusters: ClusterManager, private readonly ext: ProxyExtensions) {
    this.core = coreAttempt(clusters);
  }

  get(route: CompiledRoute): Forward {
    let f = this.cache.get(route);
    if (!f) {
      f = this.core;
      // Outermost first in the list, so wrap from the inside out.
      for (let i = this.ext.routerInterceptors.length - 1; i >= 0; i--) f = this.ext.routerInterceptors[i]!(route, f) ?? f;
      this.cache.set(route, f);
    }
    return f;
  }
}

export type { Exchange };
