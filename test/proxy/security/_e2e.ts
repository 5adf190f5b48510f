/**
 * Resources in the shape Istio's translator emits for security (TLS chains with SDS, RBAC filters,
 * tcp_proxy), on loopback ports picked at bind time, plus TLS/HTTP clients. Served by our ADS server
 * to a real proxy through test/proxy/_harness.ts.
 */
import { create, fromJson, type JsonObject } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { type Cluster, ClusterSchema, Cluster_DiscoveryType } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ApiVersion } from '../../../src/xds/gen/envoy/config/core/v3/config_source_pb.js';
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from '../../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { type Filter, type FilterChain, FilterChainMatchSchema, FilterChainSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { type Listener, ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { type RBACJson, RBACSchema as HttpRbacSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { RouterSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { TlsInspectorSchema } from '../../../src/xds/gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb.js';
import { HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { TcpProxySchema, type TcpProxyJson } from '../../../src/xds/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { type DownstreamTlsContextJson, DownstreamTlsContextSchema, type UpstreamTlsContextJson, UpstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import type { SecurityTls } from '../../../src/proxy/tls/provider.js';
import type { ProxyHandle } from '../../../src/proxy/main.js';
import { createExtensions } from '../../../src/proxy/extensions.js';
import type { IssuedCertificate } from '../../../src/pki/index.js';
import type { ResourceSet } from '../../../src/xds/resources.js';
import { startTestProxy, startXds } from '../_harness.js';
import { caSecret, certSecret } from './_pki.js';

export const ADS = { configSourceSpecifier: { case: 'ads' as const, value: {} }, resourceApiVersion: ApiVersion.V3 };
const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', configType: { case: 'typedConfig' as const, value: anyPack(TlsInspectorSchema, create(TlsInspectorSchema)) } };

/** A listener on 127.0.0.1:0 with tls_inspector and the given chains. */
export function listener(name: string, filterChains: FilterChain[]): Listener {
  return create(ListenerSchema, {
    name, address: { address: { case: 'socketAddress', value: { address: '127.0.0.1', portSpecifier: { case: 'portValue', value: 0 } } } },
    listenerFilters: [TLS_INSPECTOR], filterChains,
  });
}

/** A chain: match, optional DownstreamTlsContext (proto-JSON), filters. */
export function chain(name: string, match: JsonObject, filters: Filter[], tlsContext?: DownstreamTlsContextJson): FilterChain {
  return create(FilterChainSchema, {
    name, filterChainMatch: fromJson(FilterChainMatchSchema, match), filters,
    ...(tlsContext ? { transportSocket: { name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig', value: anyPack(DownstreamTlsContextSchema, fromJson(DownstreamTlsContextSchema, tlsContext)) } } } : {}),
  });
}

/** An HCM with an inline route `/` → `cluster`, RBAC filters (proto-JSON of the HTTP RBAC filter) before the router. */
export function hcm(cluster: string, rbac: RBACJson[] = []): Filter {
  const m = create(HttpConnectionManagerSchema, {
    statPrefix: cluster,
    routeSpecifier: { case: 'routeConfig', value: { name: cluster, virtualHosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: cluster } } } }] }] } },
    httpFilters: [
      ...rbac.map((r) => ({ name: 'envoy.filters.http.rbac', configType: { case: 'typedConfig' as const, value: anyPack(HttpRbacSchema, fromJson(HttpRbacSchema, r)) } })),
      { name: 'envoy.filters.http.router', configType: { case: 'typedConfig', value: anyPack(RouterSchema, create(RouterSchema)) } },
    ],
  });
  return { name: 'envoy.filters.network.http_connection_manager', configType: { case: 'typedConfig', value: anyPack(HttpConnectionManagerSchema, m) } } as Filter;
}

export function tcpProxy(cfg: TcpProxyJson): Filter {
  return { name: 'envoy.filters.network.tcp_proxy', configType: { case: 'typedConfig', value: anyPack(TcpProxySchema, fromJson(TcpProxySchema, cfg)) } } as Filter;
}

/** A STATIC cluster to loopback ports; `tls` an UpstreamTlsContext; `metadata` per endpoint for transport_socket_matches. */
export function staticCluster(name: string, ports: number[], opts: { tls?: UpstreamTlsContextJson; matches?: Array<{ name: string; match: JsonObject; tls?: UpstreamTlsContextJson }>; metadata?: Array<JsonObject | undefined> } = {}): Cluster {
  const socket = (ctx: UpstreamTlsContextJson | undefined) => ctx ? { name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig' as const, value: anyPack(UpstreamTlsContextSchema, fromJson(UpstreamTlsContextSchema, ctx)) } } : { name: 'envoy.transport_sockets.raw_buffer' };
  return create(ClusterSchema, {
    name, clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STATIC }, connectTimeout: { seconds: 1n },
    ...(opts.tls ? { transportSocket: socket(opts.tls) } : {}),
    transportSocketMatches: (opts.matches ?? []).map((m) => ({ name: m.name, match: m.match, transportSocket: socket(m.tls) })),
    loadAssignment: assignment(name, ports, opts.metadata),
  });
}

export function assignment(name: string, ports: number[], metadata: Array<JsonObject | undefined> = []): ClusterLoadAssignment {
  return create(ClusterLoadAssignmentSchema, {
    clusterName: name,
    endpoints: [{ lbEndpoints: ports.map((port, i) => ({
      hostIdentifier: { case: 'endpoint' as const, value: { address: { address: { case: 'socketAddress' as const, value: { address: '127.0.0.1', portSpecifier: { case: 'portValue' as const, value: port } } } } } },
      ...(metadata[i] ? { metadata: { filterMetadata: { 'envoy.transport_socket_match': metadata[i]! } } } : {}),
    })) }],
  });
}

/** Waits until the proxy holds every named SDS secret. */
export async function waitSecrets(p: ProxyHandle, tlsProvider: SecurityTls, names: string[], ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!names.every((n) => tlsProvider.secrets.get(n))) {
    if (Date.now() - t0 > ms) throw new Error(`secrets ${names.filter((n) => !tlsProvider.secrets.get(n)).join(', ')} not received after ${ms} ms; NACKs: ${p.ads.nacks.map((x) => x.message).join(' | ') || 'none'}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An HTTPS GET; resolves `{ status, body }` or `{ error }` (handshake refused, connection closed). */
export function httpsGet(port: number, opts: tls.ConnectionOptions, path = '/'): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = https.request({ host: '127.0.0.1', port, path, agent: false, ...opts } as https.RequestOptions, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    req.setTimeout(3000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** A TCP backend answering `<name>:` + each chunk. */
export async function tcpEcho(name: string): Promise<{ port: number; close(): void }> {
  const srv = net.createServer((s) => { s.on('data', (d: Buffer) => s.write(Buffer.concat([Buffer.from(`${name}:`), d]))); s.on('error', () => {}); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

/** A TLS backend (passthrough target) with its own certificate, answering `<name>:` + each chunk. */
export async function tlsEcho(name: string, cert: { certificateChainPem: string; privateKeyPem: string }): Promise<{ port: number; close(): void }> {
  const srv = tls.createServer({ cert: cert.certificateChainPem, key: cert.privateKeyPem }, (s) => { s.on('data', (d: Buffer) => s.write(Buffer.concat([Buffer.from(`${name}:`), d]))); s.on('error', () => {}); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

/** Sends `msg` on a connection (TLS when `tlsOpts`), resolves the first reply or the error. */
export function roundTrip(port: number, msg: string, tlsOpts?: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const c: net.Socket = tlsOpts ? tls.connect({ host: '127.0.0.1', port, ...tlsOpts }, () => c.write(msg)) : net.connect(port, '127.0.0.1', () => c.write(msg));
    const timer = setTimeout(() => { c.destroy(); resolve('timeout'); }, 3000);
    c.once('data', (d) => { clearTimeout(timer); resolve(String(d)); c.destroy(); });
    c.once('close', () => { clearTimeout(timer); resolve('closed'); });
    c.on('error', (e) => { clearTimeout(timer); resolve(`error: ${e.message}`); });
  });
}

/**
 * A sidecar under test: `resources` served by our xDS server to a test proxy, with `workload`'s
 * certificate as the SDS secret `default` and `rootPem` as `ROOTCA` (the names Istio's sidecars
 * use). `ready()` waits for the config and both secrets; `close()` stops the proxy, then the server.
 */
export async function startSidecar(resources: Omit<ResourceSet, 'secrets'>, workload: IssuedCertificate, rootPem: string) {
  const xds = await startXds({ ...resources, secrets: [certSecret('default', workload), caSecret('ROOTCA', rootPem)] });
  const ext = createExtensions();
  const proxy = await startTestProxy(xds.port, { extensions: ext }).catch(async (e: unknown) => { await xds.close(); throw e; });
  return {
    xds,
    proxy,
    async ready(): Promise<void> {
      await proxy.waitReady(30_000);
      await waitSecrets(proxy, ext.tls as SecurityTls, ['default', 'ROOTCA']);
    },
    async close(): Promise<void> {
      await proxy.close();
      await xds.close();
    },
  };
}
