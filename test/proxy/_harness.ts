/**
 * Real-socket harness for the proxy tests: our ADS server with a snapshot, a proxy following it,
 * and echo backends (HTTP/1.1 or h2c) that report who answered and what they received.
 */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { type Cluster, ClusterSchema, Cluster_DiscoveryType, Cluster_LbPolicy } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ApiVersion } from '../../src/xds/gen/envoy/config/core/v3/config_source_pb.js';
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from '../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { type Listener, ListenerSchema } from '../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import type { VirtualHost } from '../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { type RouteConfiguration, RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { HttpProtocolOptionsSchema } from '../../src/xds/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { RouterSchema } from '../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { type HttpConnectionManager, HttpConnectionManagerSchema } from '../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ResourceSet } from '../../src/xds/resources.js';
import { AdsServer } from '../../src/xds/server/ads-server.js';
import { SnapshotCache } from '../../src/xds/snapshot-cache.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { type ProxyHandle, type ProxyOptions, startProxy } from '../../src/proxy/main.js';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';

export const NODE = 'test/proxy';
const ADS = { configSourceSpecifier: { case: 'ads' as const, value: {} }, resourceApiVersion: ApiVersion.V3 };

/** An HTTP listener on `address:port` whose HCM takes RDS `routeName`; `hcm` adds HCM fields. */
export function httpListener(name: string, address: string, routeName: string, hcm: Partial<MessageInitShape<typeof HttpConnectionManagerSchema>> = {}, port = 0): Listener {
  const m: HttpConnectionManager = create(HttpConnectionManagerSchema, {
    statPrefix: name,
    routeSpecifier: { case: 'rds', value: { configSource: ADS, routeConfigName: routeName } },
    httpFilters: [{ name: 'envoy.filters.http.router', configType: { case: 'typedConfig', value: anyPack(RouterSchema, create(RouterSchema)) } }],
    ...hcm,
  } as never);
  return create(ListenerSchema, {
    name,
    address: { address: { case: 'socketAddress', value: { address, portSpecifier: { case: 'portValue', value: port } } } },
    filterChains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', configType: { case: 'typedConfig', value: anyPack(HttpConnectionManagerSchema, m) } }] }],
  });
}

/** EDS cluster over ADS (round robin); `http2` sets explicit HTTP/2 upstream. */
export function edsCluster(name: string, opts: { http2?: boolean; connectTimeoutMs?: number } = {}): Cluster {
  const c = create(ClusterSchema, {
    name, clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.EDS }, edsClusterConfig: { edsConfig: ADS },
    lbPolicy: Cluster_LbPolicy.ROUND_ROBIN,
    ...(opts.connectTimeoutMs ? { connectTimeout: { seconds: BigInt(Math.floor(opts.connectTimeoutMs / 1000)), nanos: (opts.connectTimeoutMs % 1000) * 1e6 } } : {}),
  });
  if (opts.http2) {
    c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] = anyPack(HttpProtocolOptionsSchema, create(HttpProtocolOptionsSchema, {
      upstreamProtocolOptions: { case: 'explicitHttpConfig', value: { protocolConfig: { case: 'http2ProtocolOptions', value: {} } } },
    }));
  }
  return c;
}

/** One locality with endpoints `host:port`. */
export function assignment(clusterName: string, endpoints: readonly { host?: string; port: number }[]): ClusterLoadAssignment {
  return create(ClusterLoadAssignmentSchema, {
    clusterName,
    endpoints: [{
      locality: { region: 'r', zone: 'z' }, loadBalancingWeight: 1,
      lbEndpoints: endpoints.map((e) => ({ hostIdentifier: { case: 'endpoint' as const, value: { address: { address: { case: 'socketAddress' as const, value: { address: e.host ?? '127.0.0.1', portSpecifier: { case: 'portValue' as const, value: e.port } } } } } } })),
    }],
  });
}

export function routeConfig(name: string, virtualHosts: MessageInitShape<typeof RouteConfigurationSchema>['virtualHosts'], extra: Partial<MessageInitShape<typeof RouteConfigurationSchema>> = {}): RouteConfiguration {
  return create(RouteConfigurationSchema, { name, virtualHosts, ...extra } as never);
}
export type { VirtualHost };

/** Our ADS server on 127.0.0.1 with a snapshot for {@link NODE}. */
export async function startXds(set: ResourceSet): Promise<{ port: number; cache: SnapshotCache; ads: AdsServer; publish(set: ResourceSet): void; close(): Promise<void> }> {
  const cache = new SnapshotCache();
  cache.setSnapshot(NODE, createSnapshot(set));
  const ads = new AdsServer({ cache });
  const port = await ads.listen('127.0.0.1:0');
  return { port, cache, ads, publish: (s) => { cache.setSnapshot(NODE, createSnapshot(s)); }, close: () => ads.close(100) };
}

/** A proxy following `xdsPort`, admin servers on free loopback ports, access log captured. */
export async function startTestProxy(xdsPort: number, extra: Partial<ProxyOptions> = {}): Promise<ProxyHandle & { log: AccessLogEntry[]; diagnostics: string[] }> {
  const log: AccessLogEntry[] = [];
  const diagnostics: string[] = [];
  const p = await startProxy({
    xds: `127.0.0.1:${xdsPort}`, nodeId: NODE, admin: '127.0.0.1:0', prometheus: '127.0.0.1:0', readiness: '127.0.0.1:0',
    accessLog: () => {}, log: (l) => diagnostics.push(l), drainTimeoutMs: 1000, initialBackoffMs: 50, maxBackoffMs: 200, ...extra,
  });
  p.accessLog?.taps.add((e) => log.push(e));
  return Object.assign(p, { log, diagnostics });
}

export interface Echo {
  readonly name: string;
  readonly port: number;
  /** Requests that arrived complete (body fully read). */
  readonly received: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/**
 * An echo backend on 127.0.0.1: answers 200 JSON `{ name, method, url, headers, body }`.
 * `handler` may take over a request (return true when it answered).
 */
export async function startEcho(name: string, opts: { h2?: boolean; handler?: (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => boolean } = {}): Promise<Echo> {
  const received: Echo['received'] = [];
  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    if (opts.handler?.(req, res)) return;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers as http.IncomingHttpHeaders, body });
      const out = JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body });
      (res as http.ServerResponse).writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
      res.end(out);
    });
  };
  const server = opts.h2 ? http2.createServer(onRequest) : http.createServer({ keepAliveTimeout: 5000, maxHeaderSize: 128 * 1024 }, onRequest);
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  return {
    name, port, received,
    close: () => new Promise((r) => {
      (server as http.Server).closeAllConnections?.();
      server.close(() => r());
      setTimeout(r, 200);
    }),
  };
}

/** A plain HTTP/1.1 request through undici-free node:http; resolves with status, headers and body. */
export function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string, host = '127.0.0.1'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * How many times its stated `ms` a wait allows before failing: `ms` is what an idle machine comfortably
 * needs, a loaded CI machine can be several times slower, and a wait that returns as soon as its
 * condition holds costs nothing for the slack (a hang still fails, after 10 x `ms`).
 */
export const WAIT_SLACK = 10;

/** Waits until `f()` is true (polling every 10 ms) or throws after `ms` x {@link WAIT_SLACK}. */
export async function until(f: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms * WAIT_SLACK;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms * WAIT_SLACK} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A raw HTTP/1.1 backend on 127.0.0.1:0 for tests of misbehaving upstreams: `reply(requestLine,
 * socket)` is called for each request head it reads (bodies are not read) and writes whatever bytes
 * the test needs. `sockets` are its open connections (the proxy's pooled ones); `close` destroys them.
 */
export async function startRawBackend(reply: (requestLine: string, socket: net.Socket) => void): Promise<{ port: number; sockets: ReadonlySet<net.Socket>; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const line = buf.slice(0, buf.indexOf('\r\n'));
        buf = buf.slice(end + 4);
        reply(line, s);
      }
    });
  });
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
  return { port, sockets, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

/**
 * `count` distinct loopback addresses in one random /24 of 127.100–199.x (the first at a random last
 * octet, the others after it), so that concurrent test files (and two suite runs) seldom share one.
 */
export function loopbackNeighbours(count: number): string[] {
  const octet = () => 1 + Math.floor(Math.random() * 250);
  const prefix = `127.${100 + Math.floor(Math.random() * 100)}.${octet()}`;
  const last = octet();
  return Array.from({ length: count }, (_, i) => `${prefix}.${i === 0 ? last : ((last + i - 1) % 250) + 2}`);
}

/** A port the system hands out on `host` (port 0), free again once returned. */
export async function freePort(host: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}


/**
 * An application answering HTTP/1.1 and h2c (prior knowledge) on one port, as a sniffed port's
 * application must (istiod gives its inbound cluster the caller's protocol): the first bytes (the h2
 * preface starts "PRI") pick the server a connection is piped to. Answers 200 with
 * `{app, url}`; `received` and `versions` record each request's path and HTTP version.
 */
export async function startDualProtocolApp(host: string, port: number, app = 'cart'): Promise<{ received: string[]; versions: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const versions: string[] = [];
  const handle = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    received.push(req.url ?? '');
    versions.push(req.httpVersion);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ app, url: req.url }));
  };
  const h1 = http.createServer(handle);
  const h2 = http2.createServer(handle);
  await new Promise<void>((r) => h1.listen(0, host, r));
  await new Promise<void>((r) => h2.listen(0, host, r));
  const sockets = new Set<net.Socket>();
  const front = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    sock.once('data', (first: Buffer) => {
      const to = first.subarray(0, 3).toString() === 'PRI' ? h2 : h1;
      const up = net.connect((to.address() as net.AddressInfo).port, host);
      sockets.add(up);
      up.on('error', () => sock.destroy());
      up.write(first);
      sock.pipe(up).pipe(sock);
    });
  });
  await new Promise<void>((r) => front.listen(port, host, r));
  return {
    received, versions,
    close: async () => {
      for (const sock of sockets) sock.destroy();
      h1.closeAllConnections();
      await Promise.all([front, h1, h2].map((srv) => new Promise((r) => srv.close(r))));
    },
  };
}
