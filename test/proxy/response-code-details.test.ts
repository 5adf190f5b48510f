/**
 * The access log's `%RESPONSE_CODE_DETAILS%` for each way the router answers locally, as Envoy's
 * router writes it (`source/common/router/router.cc`, `StreamInfo::ResponseCodeDetailValues`): no
 * host `no_healthy_upstream` (also the PassthroughCluster, an ORIGINAL_DST cluster, when no original
 * destination was restored: this proxy has no iptables redirect), an unknown cluster
 * `cluster_not_found`, resets `upstream_reset_before_response_started{<reset reason>[|<transport
 * failure reason>]}`, the route timeout `response_timeout`, a per-try timeout `upstream_per_try_timeout`;
 * and a response from the upstream `via_upstream`.
 */
import { create } from '@bufbuild/protobuf';
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';
import type { ProxyHandle } from '../../src/proxy/main.js';
import { Cluster_DiscoveryType, Cluster_LbPolicy, ClusterSchema } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { assignment, edsCluster, get, httpListener, routeConfig, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.7';
const ms = (n: number) => ({ seconds: 0n, nanos: n * 1e6 });
const route = (prefix: string, cluster: string, extra: Record<string, unknown> = {}) => ({
  match: { pathSpecifier: { case: 'prefix' as const, value: prefix } },
  action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: cluster }, ...extra } },
});

let proxy: ProxyHandle & { log: AccessLogEntry[] };
let port = 0;
const cleanup: (() => Promise<void> | void)[] = [];

test.before(async () => {
  const reset = net.createServer((s) => s.once('data', () => s.resetAndDestroy()));
  const garbage = net.createServer((s) => s.once('data', () => s.end('HTTP/1.1 2OO WHAT\r\nbroken header line\r\n\r\n')));
  const hang = net.createServer(() => {});
  const ok = net.createServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok')));
  const closed = net.createServer();
  const servers = [reset, garbage, hang, ok, closed];
  const ports = await Promise.all(servers.map((srv) => new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)))));
  await new Promise<void>((r) => closed.close(() => r()));
  cleanup.push(() => { for (const s of servers.slice(0, 4)) s.close(); });
  // Istio's PassthroughCluster, as the translator emits it for ALLOW_ANY.
  const passthrough = create(ClusterSchema, { name: 'PassthroughCluster', clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.ORIGINAL_DST }, lbPolicy: Cluster_LbPolicy.CLUSTER_PROVIDED, connectTimeout: { seconds: 1n } });
  const xds = await startXds({
    clusters: [...['empty', 'refused', 'reset', 'garbage', 'hang', 'ok'].map((n) => edsCluster(n, { connectTimeoutMs: 500 })), passthrough],
    endpoints: [assignment('empty', []), assignment('refused', [{ port: ports[4]! }]), assignment('reset', [{ port: ports[0]! }]), assignment('garbage', [{ port: ports[1]! }]), assignment('hang', [{ port: ports[2]! }]), assignment('ok', [{ port: ports[3]! }])],
    listeners: [httpListener('details', ADDR, 'rt')],
    routes: [routeConfig('rt', [
      { name: 'known', domains: ['ok.test'], routes: [
        route('/empty', 'empty'), { match: { pathSpecifier: { case: 'prefix' as const, value: '/nocluster' } }, action: { case: 'route' as const, value: { clusterSpecifier: { case: 'clusterHeader' as const, value: 'x-cluster' } } } }, route('/refused', 'refused'), route('/reset', 'reset'), route('/garbage', 'garbage'),
        route('/timeout', 'hang', { timeout: ms(200) }),
        route('/pertry', 'hang', { timeout: ms(2000), retryPolicy: { retryOn: '5xx', numRetries: 0, perTryTimeout: ms(200) } }),
        route('/ok', 'ok'),
      ] },
      // Istio's catch-all for hosts no service declares (outboundTrafficPolicy ALLOW_ANY).
      { name: 'allow_any', domains: ['*'], routes: [route('/', 'PassthroughCluster')] },
    ])],
  });
  cleanup.push(() => xds.close());
  proxy = await startTestProxy(xds.port);
  cleanup.push(() => proxy.close());
  await proxy.waitReady();
  port = proxy.listenerAddress('details')!.port;
});

test.after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function logged(path: string, host = 'ok.test'): Promise<{ status: number; body: string; entry: AccessLogEntry }> {
  // cluster_header names a cluster CDS never sent (a snapshot could not name one directly).
  const r = await get(port, path, { host, 'x-cluster': 'not-in-cds' }, 'GET', undefined, ADDR);
  const is = (e: AccessLogEntry) => e.path === path && e.authority === host;
  await until(() => { proxy.accessLog!.flush(); return proxy.log.some(is); }, 3000, `access log entry for ${host}${path}`);
  return { status: r.status, body: r.body, entry: proxy.log.filter(is).at(-1)! };
}

const CASES: [string, string, number, string, string][] = [
  ['a cluster with no endpoints', '/empty', 503, 'UH', 'no_healthy_upstream'],
  ['a route to a cluster CDS never sent', '/nocluster', 503, 'NC', 'cluster_not_found'],
  ['an endpoint that refuses connections', '/refused', 503, 'UF', 'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}'],
  ['an endpoint that resets the connection', '/reset', 503, 'UC', 'upstream_reset_before_response_started{connection_termination}'],
  ['an endpoint that answers garbage', '/garbage', 502, 'UPE', 'upstream_reset_before_response_started{protocol_error}'],
  ['a route timeout with no answer', '/timeout', 504, 'UT', 'response_timeout'],
  ['a per-try timeout on the last try (retries exhausted: URX too)', '/pertry', 504, 'URX,UT', 'upstream_per_try_timeout'],
];

for (const [what, path, status, flag, details] of CASES) {
  test(`GIVEN ${what} WHEN ${path} is forwarded THEN ${status} ${flag}, details ${details}`, async () => {
    const { status: got, entry } = await logged(path);
    assert.is(got, status);
    assert.is(entry.flags.join(), flag);
    assert.is(entry.details, details);
  });
}

test('GIVEN an endpoint that answers WHEN its response is forwarded THEN no flag, details via_upstream (Envoy\'s router on upstream headers)', async () => {
  const { status, entry } = await logged('/ok');
  assert.is(status, 200);
  assert.equal([entry.flags, entry.details], [[], 'via_upstream']);
});

test('GIVEN an unknown host routed to the PassthroughCluster (ORIGINAL_DST) WHEN no original destination was restored (no iptables redirect) THEN 503 UH no_healthy_upstream, as Envoy\'s original_dst load balancer finds no host', async () => {
  const { status, body, entry } = await logged('/anything', 'unknown.example.com');
  assert.is(status, 503);
  assert.is(body, 'no healthy upstream');
  assert.equal([entry.flags, entry.details, entry.upstreamCluster, entry.upstreamHost], [['UH'], 'no_healthy_upstream', 'PassthroughCluster', undefined]);
});

test('GIVEN a refused connection WHEN answered THEN the body carries Envoy\'s reset and transport failure reasons', async () => {
  const { body } = await logged('/refused');
  assert.match(body, /^upstream connect error or disconnect\/reset before headers\. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused \(ECONNREFUSED: /);
});

test.run();
