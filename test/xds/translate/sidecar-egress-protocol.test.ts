/**
 * A Sidecar egress listener bound to a port builds the outbound listener with its own `port.protocol`,
 * not the service port's (istiod `buildSidecarOutboundListeners`: `listenPort.Protocol`, then
 * `buildSidecarOutboundListener` switches on it; `BuildSidecarVirtualHostWrapper` gives a virtual host
 * only to HTTP or sniffed service ports).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { assertRoundTrip } from './_roundtrip.js';
import { sidecar, svc, vs, route } from '../../mesh/view-fixtures.js';
import { selectChain, tcpTarget } from './_chains.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';
const withIp = (name: string, ip: string, ports: Record<string, unknown>[]) => {
  const s = svc(name, 'prod', ports) as { spec: Record<string, unknown> };
  s.spec.clusterIP = ip;
  return s;
};
/** reviews (ClusterIP 10.96.0.20) with one port 9080 named `portName`, a VirtualService with a header route and a tcp route, and a Sidecar whose egress listener on 9080 has `protocol` (none when undefined). */
const translate = (portName: string, protocol: string | undefined) => {
  const view = buildProxyView(graphOf([
    withIp('reviews', '10.96.0.20', [{ port: 9080, name: portName }]),
    withIp('reviews-v2', '10.96.0.21', [{ port: 9080, name: portName }]),
    vs('reviews', 'prod', { hosts: ['reviews'],
      http: [{ match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [route('reviews-v2')] }, { route: [route('reviews')] }],
      tcp: [{ route: [route('reviews-v2')] }] }),
    sidecar('default', 'prod', { egress: [{ port: { number: 9080, name: 'egress', ...(protocol !== undefined ? { protocol } : {}) }, hosts: ['./*'] }] }),
  ]), client);
  const set = translateProxy(view, []);
  assertRoundTrip(set);
  const vhost = set.routes.find((r) => r.name === '9080')?.virtualHosts.find((v) => v.domains.includes(REVIEWS));
  return {
    view: view.routes.filter((r) => r.host === REVIEWS).map((r) => [r.port, r.protocol, r.http.length, r.tcp.length]),
    chain: tcpTarget(selectChain(set.listeners, { ip: '10.96.0.20', port: 9080 })),
    routes: vhost?.routes.length ?? 0,
  };
};

test('GIVEN an HTTP service port (http-web) behind a Sidecar egress listener on 9080 WHEN the listener says protocol TCP THEN reviews:9080 is TCP in the view and its connections take the VirtualService tcp route through tcp_proxy; no HTTP route configuration serves it', () => {
  const got = translate('http-web', 'TCP');
  assert.equal(got.view, [[9080, 'TCP', 0, 1]]);
  assert.is(got.chain, 'outbound|9080||reviews-v2.prod.svc.cluster.local');
  assert.is(got.routes, 0);
});

test('GIVEN the same HTTP service port WHEN the listener says HTTP THEN reviews:9080 is served by the HCM with both http routes (as before)', () => {
  const got = translate('http-web', 'HTTP');
  assert.equal(got.view, [[9080, 'HTTP', 2, 0]]);
  assert.is(got.chain, 'hcm');
  assert.is(got.routes, 2);
});

test('GIVEN a TCP service port (tcp-db) behind the egress listener WHEN the listener says HTTP THEN istiod gives the service no virtual host (only HTTP or sniffed service ports get one): reviews:9080 has no routes in the view and no virtual host', () => {
  const got = translate('tcp-db', 'HTTP');
  assert.equal(got.view, []);
  assert.is(got.routes, 0);
});

test('GIVEN a TCP service port behind the egress listener WHEN the listener sets no protocol (sniffed) THEN reviews:9080 keeps its tcp route only (no HTTP routes for a TCP service port)', () => {
  const got = translate('tcp-db', undefined);
  assert.equal(got.view, [[9080, 'UnsupportedProtocol', 0, 1]]);
  assert.is(got.chain, 'outbound|9080||reviews-v2.prod.svc.cluster.local');
});

test('GIVEN an HTTP service port behind the egress listener WHEN the listener sets no protocol (sniffed) THEN reviews:9080 carries both its http and tcp routes, as a sniffed port does', () => {
  const got = translate('http-web', undefined);
  assert.equal(got.view, [[9080, 'UnsupportedProtocol', 2, 1]]);
});

test('GIVEN an HTTP service port WHEN the egress listener says UDP THEN istiod builds no listener for it: no routes in the view', () => {
  assert.equal(translate('http-web', 'UDP').view, []);
});

test('GIVEN a port-bound egress listener on 9080 for reviews (ClusterIP) and a listener without port for the rest WHEN the first says TCP THEN istiod built reviews\' listener on its own address, so ratings\' HTTP port 9080 still gets 0.0.0.0_9080 from the second; WHEN it says HTTP THEN 0.0.0.0_9080 is locked and ratings:9080 is left out', () => {
  const build = (protocol: string) => {
    const view = buildProxyView(graphOf([
      withIp('reviews', '10.96.0.20', [{ port: 9080, name: 'http-web' }]),
      withIp('ratings', '10.96.0.30', [{ port: 9080, name: 'http-web' }]),
      sidecar('default', 'prod', { egress: [
        { port: { number: 9080, name: 'egress', protocol }, hosts: [`./${REVIEWS}`] },
        { hosts: ['./*'] },
      ] }),
    ]), client);
    const set = translateProxy(view, []);
    assertRoundTrip(set);
    return {
      routes: view.routes.map((r) => `${r.host.split('.')[0]}:${r.port} ${r.protocol}`).sort(),
      listeners: set.listeners.map((l) => l.name).filter((n) => n.endsWith('_9080')).sort(),
    };
  };
  assert.equal(build('TCP'), { routes: ['ratings:9080 HTTP', 'reviews:9080 TCP'], listeners: ['0.0.0.0_9080', '10.96.0.20_9080'] });
  assert.equal(build('HTTP'), { routes: ['reviews:9080 HTTP'], listeners: ['0.0.0.0_9080'] });
});

test.run();
