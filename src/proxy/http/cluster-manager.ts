/**
 * The upstream side: one {@link UpstreamCluster} per accepted Cluster with its current hosts (EDS or
 * the cluster's load_assignment), its load balancer, and a keep-alive connection pool per host
 * (undici `Pool` for HTTP/1.1, one node:http2 session for HTTP/2). An EDS or CDS update keeps the
 * pools of hosts that stay, and closes the others gracefully (requests in flight finish).
 *
 * TLS material is read for each new connection, not when a pool is made: an SDS update (a renewed
 * certificate, a new root) applies to the next connection of every pool, as in Envoy, while open
 * connections keep the certificate they started with.
 *
 * A request may carry an ALPN override (`istio.alpn`): a TLS host then gets a pool (or HTTP/2
 * session) per ALPN list, as Envoy keys its connection pools by the transport socket options, so a
 * connection only serves requests that would offer the ALPN it was opened with. A plaintext host
 * ignores the override and keeps one pool.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import * as tlsModule from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { buildConnector, Pool } from 'undici';
import { type Cluster, ClusterSchema } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { ClusterStats, StatsStore } from '../admin/stats.js';
import type { CompiledCluster } from '../config/cluster-config.js';
import type { ConfigStore } from '../config/config-store.js';
import { roundRobinFallback } from './default-lb.js';
import { H1Pool } from './h1-pool.js';
import type { LoadBalancer, ProxyExtensions, UpstreamHost } from './pipeline.js';
import { Http2Upstream } from './upstream-http2.js';

/** The key of a host's pool for an ALPN override and an `auto_sni` name (neither: the host's key). */
function poolKey(host: UpstreamHost, alpn: readonly string[] | undefined, sni?: string): string {
  return alpn || sni ? `${host.key}\0${alpn?.join(',') ?? ''}\0${sni ?? ''}` : host.key;
}

/** The host part of a {@link poolKey}. */
function hostOfPoolKey(key: string): string {
  const i = key.indexOf('\0');
  return i < 0 ? key : key.slice(0, i);
}

export class UpstreamCluster {
  hosts: readonly UpstreamHost[] = [];
  lb: LoadBalancer = roundRobinFallback([]);
  private readonly pools = new Map<string, Pool | H1Pool>();
  private readonly h2 = new Map<string, Http2Upstream>();

  constructor(public config: CompiledCluster, readonly stats: ClusterStats, private readonly ext: ProxyExtensions, private readonly random: () => number) {}

  /** Replaces the host set, keeping host objects (and their counters and pools) whose key stays. */
  setHosts(next: readonly UpstreamHost[]): void {
    const old = new Map(this.hosts.map((h) => [h.key, h]));
    const sameTransport = (a: UpstreamHost, b: UpstreamHost) => JSON.stringify(a.transportSocketMatch ?? null) === JSON.stringify(b.transportSocketMatch ?? null);
    // A host whose transport_socket_match metadata changed (auto mTLS tlsMode) gets new pools.
    const retire = new Set<string>();
    const hosts = next.map((h) => {
      const o = old.get(h.key);
      if (o && o.weight === h.weight && o.healthy === h.healthy && o.hostname === h.hostname && o.locality === h.locality && sameTransport(o, h)) return o;
      if (o) (h as { active: number }).active = o.active;
      if (o && !sameTransport(o, h)) retire.add(h.key);
      return h;
    });
    const keep = new Set(hosts.map((h) => h.key).filter((k) => !retire.has(k)));
    for (const [key, pool] of this.pools) if (!keep.has(hostOfPoolKey(key))) { this.pools.delete(key); closePool(pool); }
    for (const [key, s] of this.h2) if (!keep.has(hostOfPoolKey(key))) { this.h2.delete(key); s.close(); }
    this.hosts = hosts;
    this.stats.membership_total = hosts.length;
    this.stats.membership_healthy = hosts.filter((h) => h.healthy).length;
    this.rebuildLb();
  }

  /** Rebuilds the balancer from the registered unit for the cluster's lb_policy, or round robin. */
  rebuildLb(): void {
    const factory = this.ext.loadBalancers.get(this.config.lbPolicy);
    this.lb = factory ? factory(this.config.source, this.hosts, this.random, this.stats) : roundRobinFallback(this.hosts);
  }

  /**
   * The HTTP/1.1 pool of a host (created on first use): our own for plaintext, undici's for TLS.
   * `alpn` (istio.alpn) replaces the cluster's ALPN on a TLS host's connections; a plaintext host's
   * one pool is also filed under the override's key, so later requests find it without asking TLS.
   */
  pool(host: UpstreamHost, alpn?: readonly string[], sni?: string): Pool | H1Pool {
    const key = poolKey(host, alpn, sni);
    let p = this.pools.get(key);
    if (!p) {
      const tls = this.ext.tls?.upstream?.(this.config.source, host);
      const stats = this.stats;
      if (!tls && (alpn || sni)) {
        p = this.pool(host);
        this.pools.set(key, p);
        return p;
      }
      if (!tls) {
        p = new H1Pool({
          address: host.address, port: host.port, connectTimeoutMs: this.config.connectTimeoutMs,
          keepAliveTimeoutMs: Math.min(this.config.idleTimeoutMs, 60_000), maxRequestsPerConnection: this.config.maxRequestsPerConnection, maxHeaderSize: 96 * 1024,
          maxConnectionDurationMs: this.config.maxConnectionDurationMs,
          onConnect: () => { stats.upstream_cx_total++; stats.upstream_cx_active++; },
          onDisconnect: () => { stats.upstream_cx_active--; },
        });
        this.pools.set(host.key, p);
        return p;
      }
      const u = new Pool(`https://${host.key}`, {
        connectTimeout: this.config.connectTimeoutMs,
        keepAliveTimeout: Math.min(this.config.idleTimeoutMs, 60_000),
        keepAliveMaxTimeout: this.config.idleTimeoutMs,
        headersTimeout: 0, bodyTimeout: 0, pipelining: 1,
        maxRequestsPerClient: this.config.maxRequestsPerConnection || undefined,
        maxHeaderSize: 96 * 1024,
        connect: this.tlsConnector(host, alpn, sni),
      });
      u.on('connect', () => { stats.upstream_cx_total++; stats.upstream_cx_active++; });
      u.on('disconnect', () => { stats.upstream_cx_active--; });
      u.on('connectionError', () => {});
      this.pools.set(key, u);
      p = u;
    }
    return p;
  }

  /**
   * undici's connector for a host's TLS pool, asking the TLS provider for each connection. The
   * provider returns the same options object while the material stays, so the connector (and its
   * TLS session cache) is rebuilt only when a secret or the cluster changed.
   */
  private tlsConnector(host: UpstreamHost, alpn: readonly string[] | undefined, sni: string | undefined): buildConnector.connector {
    let last: { tls: ConnectionOptions; timeout: number; connect: buildConnector.connector } | undefined;
    return (opts, callback) => {
      let tls: ConnectionOptions | undefined;
      try {
        tls = this.upstreamTls(host, sni);
      } catch (e) {
        callback(e as Error, null);
        return;
      }
      // A switch to plaintext retires the pool (setHosts, syncClusters); this pool only speaks TLS.
      if (!tls) { callback(new Error(`cluster ${this.config.source.name}: host ${host.key} no longer uses TLS`), null); return; }
      const timeout = this.config.connectTimeoutMs;
      if (last?.tls !== tls || last.timeout !== timeout) last = { tls, timeout, connect: alpn ? alpnConnector(host, tls, alpn, timeout) : ownServername(tls, buildConnector({ ...tls, timeout } as buildConnector.BuildOptions)) };
      last.connect(opts, callback);
    };
  }

  /** Per TLS options object of the provider and SNI: the options with `auto_sni` applied (kept while the provider's object stays). */
  private readonly sniOptions = new WeakMap<ConnectionOptions, Map<string, ConnectionOptions>>();

  /**
   * The TLS options for a new connection to `host`; with `sni` (auto_sni) that name is the server
   * name, and under `auto_san_validation` the certificate must match it instead of the SAN matchers.
   */
  private upstreamTls(host: UpstreamHost, sni: string | undefined): ConnectionOptions | undefined {
    const tls = this.ext.tls?.upstream?.(this.config.source, host);
    if (!tls || !sni) return tls;
    let bySni = this.sniOptions.get(tls);
    if (!bySni) this.sniOptions.set(tls, (bySni = new Map()));
    let o = bySni.get(sni);
    if (!o) {
      o = { ...tls, servername: sni, ...(this.config.autoSanValidation ? { checkServerIdentity: (_h: string, cert: tlsModule.PeerCertificate) => tlsModule.checkServerIdentity(sni, cert) } : {}) };
      bySni.set(sni, o);
    }
    return o;
  }

  /**
   * The HTTP/2 session holder of a host; its TLS options are read for each new session. `alpn`
   * (istio.alpn) replaces the cluster's ALPN when the session uses TLS (one holder per list); a
   * plaintext host's one holder is filed under the override's key too, as in {@link pool}.
   */
  http2(host: UpstreamHost, alpn?: readonly string[], sni?: string): Http2Upstream {
    const key = poolKey(host, alpn, sni);
    let s = this.h2.get(key);
    if (!s && (alpn || sni) && !this.ext.tls?.upstream?.(this.config.source, host)) {
      s = this.http2(host);
      this.h2.set(key, s);
    }
    if (!s) {
      const c = this.config;
      const options = {
        connectTimeoutMs: c.connectTimeoutMs, maxConcurrentStreams: c.http2.maxConcurrentStreams, maxRequestsPerConnection: c.maxRequestsPerConnection,
        maxConnectionDurationMs: c.maxConnectionDurationMs, ...(c.http2.keepalive ? { keepalive: c.http2.keepalive } : {}),
      };
      s = new Http2Upstream(host, options, () => this.upstreamTls(host, sni), this.stats, alpn);
      this.h2.set(key, s);
    }
    return s;
  }

  close(): void {
    for (const p of new Set(this.pools.values())) closePool(p);
    for (const s of new Set(this.h2.values())) s.close();
    this.pools.clear();
    this.h2.clear();
  }

  /** Ends every connection at once (shutdown after the drain timeout). */
  destroy(): void {
    for (const p of new Set(this.pools.values())) { if (p instanceof H1Pool) p.destroy(); else void p.destroy().catch(() => {}); }
    for (const s of new Set(this.h2.values())) s.close();
    this.pools.clear();
    this.h2.clear();
  }
}

/** Whether the connection limits the pools were made with changed (the pools are then replaced, gracefully). */
function poolSettingsChanged(a: CompiledCluster, b: CompiledCluster): boolean {
  return a.idleTimeoutMs !== b.idleTimeoutMs || a.maxRequestsPerConnection !== b.maxRequestsPerConnection || a.maxConnectionDurationMs !== b.maxConnectionDurationMs ||
    a.http2.maxConcurrentStreams !== b.http2.maxConcurrentStreams || a.http2.keepalive?.intervalMs !== b.http2.keepalive?.intervalMs || a.http2.keepalive?.timeoutMs !== b.http2.keepalive?.timeoutMs;
}

/**
 * undici passes each connection the server name of the request's Host, which `buildConnector`
 * prefers to its own options: the cluster's (the context's `sni`, or auto_sni's) wins here, as in
 * Envoy, where only the transport socket decides the SNI.
 */
function ownServername(tls: ConnectionOptions, connect: buildConnector.connector): buildConnector.connector {
  return (opts, callback) => connect({ ...opts, servername: tls.servername || undefined } as Parameters<buildConnector.connector>[0], callback);
}

/**
 * undici's `buildConnector` always offers `http/1.1` as ALPN; this connector offers `alpn` instead
 * (istio.alpn), with the same connect timeout and `no_delay`. No TLS session reuse.
 */
function alpnConnector(host: UpstreamHost, tls: ConnectionOptions, alpn: readonly string[], timeoutMs: number): buildConnector.connector {
  return (_opts, callback) => {
    const socket = tlsModule.connect({ ...tls, ALPNProtocols: [...alpn], host: host.address, port: host.port });
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('error', finish);
      if (err) { socket.destroy(); callback(err, null); } else callback(null, socket);
    };
    const timer = setTimeout(() => finish(Object.assign(new Error(`connect timeout after ${timeoutMs} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' })), timeoutMs);
    socket.setNoDelay(true);
    socket.once('secureConnect', () => finish());
    socket.once('error', finish);
  };
}

/** Graceful close: requests in flight finish. */
function closePool(p: Pool | H1Pool): void {
  if (p instanceof H1Pool) p.close();
  else void p.close().catch(() => {});
}

/**
 * The cluster's upstream transport settings (`transport_socket`, `transport_socket_matches`) as a
 * comparable string: pools opened under one value must not serve requests after a CDS update
 * changes it (Envoy builds new connection pools for the updated cluster).
 */
export function transportFingerprint(c: Cluster): string {
  const only = create(ClusterSchema, { transportSocket: c.transportSocket, transportSocketMatches: c.transportSocketMatches });
  return Buffer.from(toBinary(ClusterSchema, only)).toString('base64');
}

export class ClusterManager {
  readonly clusters = new Map<string, UpstreamCluster>();

  constructor(private readonly store: ConfigStore, private readonly stats: StatsStore, private readonly ext: ProxyExtensions, private readonly random: () => number) {}

  get(name: string): UpstreamCluster | undefined {
    return this.clusters.get(name);
  }

  /** Brings clusters in line with the store after a CDS change. */
  syncClusters(): void {
    for (const [name, c] of this.clusters) {
      if (!this.store.clusters.has(name)) { c.close(); this.clusters.delete(name); }
    }
    for (const [name, acc] of this.store.clusters) {
      let c = this.clusters.get(name);
      if (c && c.config === acc.compiled) continue;
      if (c) {
        const protocolChanged = c.config.protocol !== acc.compiled.protocol || c.config.connectTimeoutMs !== acc.compiled.connectTimeoutMs || poolSettingsChanged(c.config, acc.compiled);
        // A new transport socket (plaintext ↔ TLS, other certificates or SANs): the old pools close
        // gracefully (requests in flight finish) and new requests open connections with the new settings.
        const transportChanged = transportFingerprint(c.config.source) !== transportFingerprint(acc.compiled.source);
        if (protocolChanged || transportChanged) c.close();
        c.config = acc.compiled;
      } else {
        c = new UpstreamCluster(acc.compiled, this.stats.cluster(name), this.ext, this.random);
        this.clusters.set(name, c);
      }
      this.syncHosts(c);
    }
  }

  /** Re-reads the hosts of every cluster using `edsName` (or all, when undefined). */
  syncEndpoints(edsNames?: readonly string[]): void {
    const names = edsNames ? new Set(edsNames) : undefined;
    for (const c of this.clusters.values()) if (!names || (c.config.edsName && names.has(c.config.edsName))) this.syncHosts(c);
  }

  private syncHosts(c: UpstreamCluster): void {
    const hosts = c.config.edsName ? this.store.endpoints.get(c.config.edsName)?.compiled ?? [] : c.config.staticHosts;
    c.setHosts(hosts);
  }

  close(): void {
    for (const c of this.clusters.values()) c.close();
  }

  destroy(): void {
    for (const c of this.clusters.values()) c.destroy();
  }
}
