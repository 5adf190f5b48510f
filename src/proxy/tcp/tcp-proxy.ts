/**
 * Envoy's `envoy.filters.network.tcp_proxy` (`source/common/tcp_proxy/tcp_proxy.cc`): picks the
 * cluster (`cluster`, or `weighted_clusters` by weight over the total), a host through the cluster's
 * load balancer, connects (TLS when the cluster's transport socket says so, e.g. ISTIO_MUTUAL), and
 * then copies bytes both ways untouched, half-closes propagated, until both sides are done.
 *
 * Outcomes, as Envoy's access log shows them: no such cluster `NC`; no healthy host `UH`; the
 * cluster's `max_connections` circuit breaker full `UO`; connect failure or `connect_timeout` `UF`.
 * `idle_timeout` (default 1 h, 0 disables) closes a connection with no bytes either way;
 * `max_downstream_connection_duration` closes it that long after it was accepted.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Cluster } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { TcpProxy } from '../../xds/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { CircuitBreaker } from '../policy/circuit-breaker.js';

/** An upstream host as the core's load balancer returns it. */
export interface TcpUpstreamHost {
  readonly key: string;
  readonly address: string;
  readonly port: number;
}

/** Envoy's `LocalCloseReasons::TcpProxyInitializationFailure` (its spelling), followed by the `UpstreamFailureReason` number. */
const INIT_FAILURE = 'tcp_initializion_failure:';

/** One proxied connection's record (Envoy's TCP access log fields). */
export interface TcpAccessRecord {
  readonly startMs: number;
  readonly durationMs: number;
  readonly cluster: string | undefined;
  readonly upstreamHost: string | undefined;
  /** Bytes from downstream (sent upstream) and to downstream. */
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly flags: readonly string[];
  /**
   * Connection termination details, e.g. `upstream_connect_failure: ECONNREFUSED`, `idle_timeout`;
   * a connection tcp_proxy could not start gets Envoy's own `tcp_initializion_failure:<reason>`
   * (`LocalCloseReasons::TcpProxyInitializationFailure`, spelling and all, with
   * `UpstreamFailureReason` 1 NoHealthyUpstream (UH), 2 ResourceLimitExceeded (UO), 3 NoRoute (NC)).
   */
  readonly details: string | undefined;
  /** The downstream peer's SPIFFE URI SAN (`%DOWNSTREAM_PEER_URI_SAN%`), when TLS was terminated. */
  readonly downstreamPeerUriSan: string | undefined;
}

/** What tcp_proxy needs from the proxy. */
export interface TcpProxyEnv {
  /** The accepted Cluster by name. */
  cluster(name: string): Cluster | undefined;
  /** A host of the cluster from its load balancer, or undefined when none is healthy. */
  choose(cluster: string): TcpUpstreamHost | undefined;
  /** node:tls client options when the cluster's transport socket for this host is TLS; throws when its secrets are missing. */
  upstreamTls(cluster: Cluster, host: TcpUpstreamHost): tls.ConnectionOptions | undefined;
  /** Receives one record per connection when it ends. */
  log(record: TcpAccessRecord): void;
  /** @default Math.random */
  random?(): number;
}

/** Facts about the downstream connection. */
export interface TcpDownstreamInfo {
  readonly downstreamPeerUriSan?: string;
}

const breakers = new WeakMap<Cluster, CircuitBreaker>();

function ms(d: { seconds: bigint; nanos: number } | undefined, dflt: number): number {
  return d === undefined ? dflt : Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

/**
 * Checks a TcpProxy config; returns error strings `<field>: <problem>` (empty when usable).
 * Tunneling, on-demand CDS and metadata_match are not supported.
 */
export function checkTcpProxy(cfg: TcpProxy): string[] {
  const errors: string[] = [];
  const cs = cfg.clusterSpecifier;
  if (cs.case === undefined) errors.push('cluster_specifier: set cluster or weighted_clusters');
  if (cs.case === 'cluster' && !cs.value) errors.push('cluster: empty cluster name');
  if (cs.case === 'weightedClusters') {
    if (cs.value.clusters.length === 0) errors.push('weighted_clusters.clusters: no clusters');
    if (cs.value.clusters.reduce((n, c) => n + c.weight, 0) === 0) errors.push('weighted_clusters.clusters: total weight is 0; give some cluster a positive weight');
  }
  if (cfg.tunnelingConfig) errors.push('tunneling_config: HTTP CONNECT tunneling is not supported by meshproof\'s proxy');
  if (cfg.onDemand) errors.push('on_demand: on-demand CDS is not supported');
  return errors;
}

/** The cluster for one connection: `cluster`, or a weighted pick (Envoy: random % total weight). */
export function pickCluster(cfg: TcpProxy, random: () => number): string {
  const cs = cfg.clusterSpecifier;
  if (cs.case === 'cluster') return cs.value;
  if (cs.case !== 'weightedClusters') return '';
  const total = cs.value.clusters.reduce((n, c) => n + c.weight, 0);
  let r = Math.floor(random() * total);
  for (const c of cs.value.clusters) {
    if (r < c.weight) return c.name;
    r -= c.weight;
  }
  return cs.value.clusters[cs.value.clusters.length - 1]!.name;
}

/**
 * Proxies one accepted downstream stream (a plain socket or a terminated TLS socket). Never throws;
 * failures close the downstream and are recorded.
 */
export function proxyTcp(cfg: TcpProxy, env: TcpProxyEnv, down: Duplex, info: TcpDownstreamInfo = {}): void {
  const startMs = Date.now();
  const flags: string[] = [];
  let details: string | undefined;
  let upstream: net.Socket | undefined;
  let hostKey: string | undefined;
  let received = 0;
  let sent = 0;
  let finished = false;
  let release: (() => void) | undefined;
  const clusterName = pickCluster(cfg, env.random ?? Math.random);
  (down as net.Socket).allowHalfOpen = true;
  // Bytes that arrive before the upstream is connected (the caller may have resumed the stream, and a
  // peeked ClientHello is already buffered) are held and sent first; the connect timeout bounds them.
  const early: Buffer[] = [];
  let downEndedEarly = false;
  const onEarlyData = (d: Buffer) => { early.push(d); received += d.length; lastActivity = Date.now(); };
  const onEarlyEnd = () => { downEndedEarly = true; };
  down.on('data', onEarlyData);
  down.once('end', onEarlyEnd);
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(idleTimer);
    clearTimeout(durationTimer);
    release?.();
    down.destroy();
    upstream?.destroy();
    env.log({ startMs, durationMs: Date.now() - startMs, cluster: clusterName || undefined, upstreamHost: hostKey, bytesReceived: received, bytesSent: sent, flags, details, downstreamPeerUriSan: info.downstreamPeerUriSan });
  };
  const fail = (flag: string | undefined, why: string) => { if (flag) flags.push(flag); details ??= why; finish(); };
  down.on('error', (e: Error) => fail(undefined, `downstream_error: ${e.message}`));
  down.once('close', () => { if (!upstream || !upstream.connecting) setImmediate(finish); else fail(undefined, 'downstream_closed_before_upstream_connected'); });

  const idleMs = ms(cfg.idleTimeout, 3_600_000);
  let lastActivity = Date.now();
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = (delay: number) => {
    if (idleMs <= 0) return;
    idleTimer = setTimeout(() => {
      const quiet = Date.now() - lastActivity;
      if (quiet >= idleMs) fail(undefined, 'idle_timeout');
      else armIdle(idleMs - quiet);
    }, delay);
    idleTimer.unref();
  };

  // max_downstream_connection_duration: the connection ends that long after it was accepted, busy or not.
  const maxDurationMs = ms(cfg.maxDownstreamConnectionDuration, 0);
  const durationTimer = maxDurationMs > 0 ? setTimeout(() => fail(undefined, 'max_downstream_connection_duration'), maxDurationMs).unref() : undefined;

  const cluster = env.cluster(clusterName);
  if (!cluster) return fail('NC', `${INIT_FAILURE}3`);
  const host = env.choose(clusterName);
  if (!host) return fail('UH', `${INIT_FAILURE}1`);
  hostKey = host.key;
  let breaker = breakers.get(cluster);
  if (!breaker) { breaker = new CircuitBreaker(cluster.circuitBreakers); breakers.set(cluster, breaker); }
  if (!breaker.connections.tryAcquire()) return fail('UO', `${INIT_FAILURE}2`);
  const b = breaker;
  release = () => b.connections.release();

  let tlsOpts: tls.ConnectionOptions | undefined;
  try {
    tlsOpts = env.upstreamTls(cluster, host);
  } catch (e) {
    return fail('UF', `upstream_tls: ${(e as Error).message}`);
  }
  const connectTimeoutMs = ms(cluster.connectTimeout, 5000);
  const up = tlsOpts
    ? tls.connect({ ...tlsOpts, host: host.address, port: host.port, allowHalfOpen: true } as tls.ConnectionOptions)
    : net.connect({ host: host.address, port: host.port, allowHalfOpen: true });
  upstream = up;
  up.setNoDelay(true);
  const connectTimer = setTimeout(() => { if (!connected) fail('UF', `upstream_connect_timeout after ${connectTimeoutMs} ms`); }, connectTimeoutMs);
  let connected = false;
  let downEnded = false;
  let upEnded = false;
  up.once(tlsOpts ? 'secureConnect' : 'connect', () => {
    connected = true;
    clearTimeout(connectTimer);
    armIdle(idleMs);
    down.off('data', onEarlyData);
    down.off('end', onEarlyEnd);
    for (const d of early) up.write(d);
    early.length = 0;
    down.on('data', (d: Buffer) => { received += d.length; lastActivity = Date.now(); if (!up.write(d)) { down.pause(); up.once('drain', () => down.resume()); } });
    up.on('data', (d: Buffer) => { sent += d.length; lastActivity = Date.now(); if (!down.write(d)) { up.pause(); down.once('drain', () => up.resume()); } });
    const onDownEnd = () => { downEnded = true; up.end(); if (upEnded) finish(); };
    if (downEndedEarly) onDownEnd(); else down.on('end', onDownEnd);
    up.on('end', () => { upEnded = true; down.end(); if (downEnded) finish(); });
    up.once('close', () => { if (!finished) setImmediate(finish); });
  });
  up.on('error', (e: NodeJS.ErrnoException) => {
    clearTimeout(connectTimer);
    if (!connected) fail('UF', `upstream_connect_failure: ${e.code ?? e.message}`);
    else fail(undefined, `upstream_reset: ${e.code ?? e.message}`);
  });
}
