/**
 * A Sidecar egress listener's `port.protocol` over real sockets: the client sidecar's translated
 * config, served by our ADS server to the reference proxy, with reviews (an HTTP port, `http-web`)
 * behind a VirtualService whose header route sends `end-user: jason` to reviews-v2. Under an egress
 * listener with `protocol: TCP` istiod builds tcp_proxy for the port, so the header route does not
 * apply and every request reaches reviews; under `protocol: HTTP` it does. Only the listener
 * addresses change (to 127.0.0.1:0, bound): tests never bind the service ports.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { route, sidecar, svc, vs } from '../../mesh/view-fixtures.js';
import { get, startEcho } from '../../proxy/_harness.js';
import { serveOnLoopback } from './_loopback-sidecar.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });

/** Which backend answers `GET /reviews` with `end-user: jason` through the client sidecar, under an egress listener on 9080 of `protocol`. */
async function jasonReaches(protocol: 'TCP' | 'HTTP'): Promise<{ listeners: string[]; backends: string[] }> {
  const v1 = await startEcho('reviews');
  const v2 = await startEcho('reviews-v2');
  const cleanups: (() => unknown)[] = [() => v1.close(), () => v2.close()];
  try {
    const withIp = (name: string, ip: string) => {
      const s = svc(name, 'prod', [{ port: 9080, name: 'http-web', targetPort: 'web' }]) as { spec: Record<string, unknown> };
      s.spec.clusterIP = ip;
      return s;
    };
    const g = graphOf([
      withIp('reviews', '10.96.0.20'), withIp('reviews-v2', '10.96.0.21'),
      vs('reviews', 'prod', { hosts: ['reviews'], http: [
        { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [route('reviews-v2')] },
        { route: [route('reviews')] },
      ] }),
      sidecar('default', 'prod', { egress: [{ port: { number: 9080, protocol, name: 'egress-9080' }, hosts: ['./*'] }] }),
    ]);
    const set = translateProxy(buildProxyView(g, client), [
      { name: 'reviews-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'reviews' }, ports: { web: v1.port } },
      { name: 'reviews-v2-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'reviews-v2' }, ports: { web: v2.port } },
    ]);
    // The listener reviews' address reaches (its own <vip>_9080, else 0.0.0.0_9080), alone.
    const listener = set.listeners.find((l) => l.name === '10.96.0.20_9080') ?? set.listeners.find((l) => l.name === '0.0.0.0_9080')!;
    const listeners = set.listeners.filter((l) => l.name.endsWith('_9080')).map((l) => l.name).sort();
    const { port } = await serveOnLoopback(set, listener, cleanups);
    const backends: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await get(port, '/reviews', { host: 'reviews.prod.svc.cluster.local:9080', 'end-user': 'jason' });
      backends.push(`${r.status} ${String(r.headers['x-backend'] ?? '-')}`);
    }
    return { listeners, backends };
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

test('GIVEN reviews on an HTTP port and a header route for end-user jason WHEN the Sidecar egress listener on 9080 says protocol TCP THEN the port is a tcp_proxy listener on reviews\' address and jason\'s requests reach reviews: the HTTP route does not apply', async () => {
  const got = await jasonReaches('TCP');
  assert.equal(got.listeners, ['10.96.0.20_9080', '10.96.0.21_9080']);
  assert.equal(got.backends, ['200 reviews', '200 reviews', '200 reviews']);
});

test('GIVEN the same WHEN the egress listener says protocol HTTP THEN one HCM listener 0.0.0.0_9080 and jason\'s requests reach reviews-v2', async () => {
  const got = await jasonReaches('HTTP');
  assert.equal(got.listeners, ['0.0.0.0_9080']);
  assert.equal(got.backends, ['200 reviews-v2', '200 reviews-v2', '200 reviews-v2']);
});

test.run();
