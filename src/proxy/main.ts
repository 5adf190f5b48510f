/**
 * The reference proxy: an ADS client feeding a config store, listeners serving HTTP/1.1 and HTTP/2
 * on the addresses LDS names, clusters with keep-alive pools from CDS/EDS, routes from RDS, the
 * admin, Prometheus and readiness servers, the access log, and graceful drain.
 *
 * `startProxy` returns once the admin servers are bound; config arrives asynchronously (`waitReady`).
 */
import type { Server } from 'node:http';
import { AccessLog, type AccessLogEntry } from './access-log.js';

/** Access-log entries the admin's `/access_log` keeps. */
const RECENT_ACCESS_LOG = 8192;
import { AdsClient, type AdsClientTls } from './ads-client.js';
import { type AdminHost, type AdminSource, adminHandler, startAdminServer } from './admin/admin-server.js';
import { StatsStore } from './admin/stats.js';
import { type Change, ConfigStore } from './config/config-store.js';
import { createExtensions } from './extensions.js';
import { ClusterManager } from './http/cluster-manager.js';
import { ForwardChains } from './http/forward.js';
import { ListenerServer } from './http/listener-server.js';
import type { AsyncClient, ConnectionInfo, Exchange, NetworkEnv, ProxyExtensions } from './http/pipeline.js';
import { createAsyncClient } from './http/async-client.js';
import type { HandlerEnv } from './http/request-handler.js';

export interface ProxyOptions {
  /** Control plane `host:port`. */
  readonly xds: string;
  /** Mutual TLS to the control plane (`xds serve --tls`; `--xds-ca`, `--xds-cert`, `--xds-key`). @default plaintext */
  readonly xdsTls?: AdsClientTls;
  /** Service-account token file sent as `authorization: Bearer` on each ADS stream (`--xds-token`; `xds serve --token-review`); needs `xdsTls`. @default none */
  readonly xdsTokenFile?: string;
  /** `node.id` (meshproof xds serve: `<namespace>/<workload>`). */
  readonly nodeId: string;
  /** @default 'sidecar' */
  readonly role?: 'sidecar' | 'gateway';
  /** Admin `host:port`; `off` disables. @default '127.0.0.1:15000' */
  readonly admin?: string;
  /** Prometheus `host:port`; `off` disables. @default '0.0.0.0:15090' */
  readonly prometheus?: string;
  /** Readiness `host:port` (`/healthz/ready`); `off` disables. @default '0.0.0.0:15021' */
  readonly readiness?: string;
  /** Where access-log batches go; undefined disables the access log. */
  readonly accessLog?: (text: string) => void;
  /** Longest wait for in-flight requests when draining, in ms. @default 5000 (Istio's terminationDrainDuration) */
  readonly drainTimeoutMs?: number;
  /** Random source for routing and balancing. @default Math.random */
  readonly random?: () => number;
  readonly extensions?: ProxyExtensions;
  /** Diagnostic lines (xDS connects, NACKs, bind errors). @default stderr */
  readonly log?: (line: string) => void;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Called when `POST /quitquitquit` (or a drain) finishes. */
  readonly onExit?: () => void;
  /** The control plane refused the node (`AdsClientOptions.onRefused`): no config will ever come. @default logged */
  readonly onRefused?: (message: string) => void;
}

export interface ProxyHandle {
  readonly store: ConfigStore;
  readonly stats: StatsStore;
  readonly ads: AdsClient;
  readonly accessLog: AccessLog | undefined;
  readonly adminPort: number | undefined;
  readonly prometheusPort: number | undefined;
  readonly readinessPort: number | undefined;
  /** Every cluster's hosts as admin `/clusters` shows them (EDS health, outlier ejection, requests in flight). */
  clusterHosts(): { cluster: string; hosts: AdminHost[] }[];
  /** The bound address of a listener by name. */
  listenerAddress(name: string): { host: string; port: number } | undefined;
  /** LIVE once CDS and LDS were accepted, every RDS name the listeners need arrived, and listeners are bound. */
  state(): 'LIVE' | 'PRE_INITIALIZING' | 'DRAINING';
  /** Resolves when `state()` is LIVE; rejects after `timeoutMs`. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Graceful drain: stop accepting, let in-flight requests finish within the drain timeout, then close everything. */
  drain(): Promise<void>;
  /** Immediate shutdown. */
  close(): Promise<void>;
}

/** A stand-in exchange for balancing a TCP connection: no request, the connection's addresses. */
function connectionExchange(cluster: string, conn: ConnectionInfo | undefined): Exchange {
  return {
    downstream: { remoteAddress: conn?.remoteAddress ?? '', remotePort: 0, localAddress: conn?.localAddress ?? '', localPort: conn?.localPort ?? 0, listener: '', protocol: 'TCP', tls: undefined },
    method: '', path: '', authority: '', scheme: '', headers: {}, decision: undefined, clusterName: cluster, flags: [], details: '',
    body: null, upstreamHost: undefined, attempts: 0, signal: new AbortController().signal, state: new Map(),
  };
}

/** The proxy could not start (an admin address that cannot be bound, a malformed address). Stable `code`. */
export class ProxyStartError extends Error {
  readonly code = 'PROXY_START';
  constructor(message: string) {
    super(message);
    this.name = 'ProxyStartError';
  }
}

/**
 * Why a listener could not bind and what to do: a port below 1024 without the privilege (EACCES) comes from
 * the Services, so the fix is the privilege, not another port; anything else (EADDRINUSE…) is a clash.
 */
export function bindFailure(e: unknown, port: number): string {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  if (code === 'EACCES' && port < 1024) {
    return `EACCES: port ${port} is privileged and this process may not bind it (the port comes from the Services and Gateways, not from the proxy); ` +
      'run the proxy as root or with CAP_NET_BIND_SERVICE, or allow unprivileged ports from 0 (sysctl net.ipv4.ip_unprivileged_port_start=0)';
  }
  return `${code}; choose a free address or port (stop the process that holds it; a second proxy on this host needs addresses of its own: ?bind= in its node id)`;
}

function hostPort(s: string, what: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new ProxyStartError(`${what}: "${s}" is not host:port (port 0..65535)`);
  return { host: s.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

export async function startProxy(o: ProxyOptions): Promise<ProxyHandle> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const ext = o.extensions ?? createExtensions();
  const random = o.random ?? Math.random;
  const stats = new StatsStore();
  const accessLog = o.accessLog ? new AccessLog({ write: o.accessLog }) : undefined;
  // The latest entries for the admin's `/access_log` (bounded: the oldest half goes when it is full).
  const recent: AccessLogEntry[] = [];
  accessLog?.taps.add((e) => {
    if (recent.push(e) > RECENT_ACCESS_LOG) recent.splice(0, RECENT_ACCESS_LOG / 2);
  });
  let clusters: ClusterManager;
  let asyncClient: AsyncClient;
  const netEnv: NetworkEnv = {
    hosts: (c) => clusters.get(c)?.hosts,
    cluster: (c) => clusters.get(c)?.config.source,
    choose: (c, conn) => clusters.get(c)?.lb.choose(connectionExchange(c, conn)),
    ...(accessLog ? { accessLog } : {}),
    http: { send: (c, r) => asyncClient.send(c, r) },
  };
  const store = new ConfigStore(ext, netEnv);
  clusters = new ClusterManager(store, stats, ext, random);
  asyncClient = createAsyncClient(clusters);
  let draining = false;
  const env: HandlerEnv = {
    stats, clusters, accessLog, random,
    routes: (name) => store.routes.get(name)?.compiled,
    forwards: new ForwardChains(clusters, ext),
    draining: () => draining,
  };
  const listeners = new Map<string, ListenerServer>();
  let reconcile: Promise<string[]> = Promise.resolve([]);
  /** Binds new listeners, updates kept ones, drains removed ones; returns a NACK line per listener that cannot bind (it is dropped, as Envoy refuses it). */
  const reconcileListeners = async (): Promise<string[]> => {
    const failures: string[] = [];
    for (const [name, ls] of listeners) {
      const acc = store.listeners.get(name);
      if (!acc || acc.compiled.host !== ls.config.host || acc.compiled.port !== ls.config.port) {
        listeners.delete(name);
        void ls.drain(o.drainTimeoutMs ?? 5000);
      }
    }
    for (const [name, acc] of store.listeners) {
      const existing = listeners.get(name);
      if (existing) { existing.config = acc.compiled; continue; }
      if (!acc.compiled.bind) continue;
      const ls = new ListenerServer(acc.compiled, env, ext, stats);
      try {
        await ls.listen();
        listeners.set(name, ls);
      } catch (e) {
        const line = `Listener "${name}": address: cannot bind ${acc.compiled.host}:${acc.compiled.port}: ${bindFailure(e, acc.compiled.port)}`;
        log(line);
        failures.push(line);
        store.listeners.delete(name);
      }
    }
    return failures;
  };
  const onChange = (change: Change): void | Promise<string[]> => {
    if (change.kind === 'cluster') clusters.syncClusters();
    else if (change.kind === 'endpoint') clusters.syncEndpoints(change.updated);
    else if (change.kind === 'listener') return (reconcile = reconcile.then(reconcileListeners, reconcileListeners));
  };
  const ads = new AdsClient({
    address: o.xds, nodeId: o.nodeId, store, extraTypes: ext.extraResourceTypes, onChange, log,
    metadata: { ROLE: o.role ?? 'sidecar' }, initialBackoffMs: o.initialBackoffMs, maxBackoffMs: o.maxBackoffMs,
    ...(o.onRefused ? { onRefused: o.onRefused } : {}),
    ...(o.xdsTls ? { tls: o.xdsTls } : {}),
    ...(o.xdsTokenFile !== undefined ? { tokenFile: o.xdsTokenFile } : {}),
  });

  const state = (): 'LIVE' | 'PRE_INITIALIZING' | 'DRAINING' => {
    if (draining) return 'DRAINING';
    if (!store.versions.has('cluster') || !store.versions.has('listener')) return 'PRE_INITIALIZING';
    for (const n of store.routeNames()) if (!store.routes.has(n)) return 'PRE_INITIALIZING';
    for (const [name, acc] of store.listeners) if (acc.compiled.bind && !listeners.has(name)) return 'PRE_INITIALIZING';
    return 'LIVE';
  };
  const servers: Server[] = [];
  let closed = false;
  const closeAll = async () => {
    if (closed) return;
    closed = true;
    ads.close();
    for (const s of servers) { s.closeAllConnections(); s.close(); }
    for (const ls of listeners.values()) ls.close();
    listeners.clear();
    clusters.destroy();
    accessLog?.close();
  };
  const drain = async () => {
    if (draining) return;
    draining = true;
    await reconcile;
    await Promise.all([...listeners.values()].map((l) => l.drain(o.drainTimeoutMs ?? 5000)));
    await closeAll();
    o.onExit?.();
  };
  const clusterHosts = () => [...clusters.clusters].map(([cluster, c]) => {
    const ejected = ext.outlierEjected?.(cluster);
    return { cluster, hosts: c.hosts.map((h) => ({ key: h.key, address: h.address, port: h.port, active: h.active, healthy: h.healthy, ejected: ejected?.has(h.key) ?? false, weight: h.weight, hostname: h.hostname, locality: h.locality, priority: h.priority ?? 0 })) };
  });
  const admin: AdminSource = {
    nodeId: o.nodeId, store, stats, state,
    listenerAddresses: () => [...listeners].map(([name, l]) => ({ name, ...l.address() })),
    clusterHosts,
    quit: () => { void drain(); },
    ...(accessLog ? { recentAccessLog: () => { accessLog.flush(); return recent; } } : {}),
  };
  const bind = async (spec: string | undefined, dflt: string, what: string) => {
    const s = spec ?? dflt;
    if (s === 'off') return undefined;
    const { host, port } = hostPort(s, what);
    const started = await startAdminServer(adminHandler(admin), host, port).catch((e: NodeJS.ErrnoException) => {
      throw new ProxyStartError(`${what} ${host}:${port}: cannot bind (${e.code ?? e.message}); pass another ${what} <host:port>, port 0, or off`);
    });
    servers.push(started.server);
    return started.port;
  };
  let adminPort: number | undefined;
  let prometheusPort: number | undefined;
  let readinessPort: number | undefined;
  try {
    adminPort = await bind(o.admin, '127.0.0.1:15000', '--admin');
    prometheusPort = await bind(o.prometheus, '0.0.0.0:15090', '--prometheus');
    readinessPort = await bind(o.readiness, '0.0.0.0:15021', '--readiness');
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  ads.start();
  return {
    store, stats, ads, accessLog, adminPort, prometheusPort, readinessPort, state,
    listenerAddress: (name) => listeners.get(name)?.address(),
    clusterHosts,
    waitReady: async (timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (state() !== 'LIVE') {
        if (Date.now() > deadline) throw new Error(`proxy "${o.nodeId}" not ready after ${timeoutMs} ms (state ${state()}; xDS ${ads.connected ? 'connected' : 'not connected'}; last NACK: ${ads.nacks.at(-1)?.message ?? 'none'})`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    drain, close: closeAll,
  };
}
