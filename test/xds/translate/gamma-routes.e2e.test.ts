/**
 * GAMMA over real sockets: a mesh HTTPRoute (parentRef Service reviews) translated for the client sidecar,
 * served by our ADS server to the reference proxy in front of two echo backends. A PathPrefix is Envoy's
 * path_separated_prefix (`/api/x` matches `/api`, `/apix` does not), `ReplacePrefixMatch: /` strips the
 * matched prefix, a backend Service not in the input answers 500 and a rule whose weights sum to 0 answers
 * 500, as istiod's configuration makes Envoy do. Only the listener address changes (to 127.0.0.1:0).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { svc } from '../../mesh/view-fixtures.js';
import { get, startEcho } from '../../proxy/_harness.js';
import { serveOnLoopback } from './_loopback-sidecar.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });

function service(name: string, ip: string) {
  const s = svc(name, 'prod', [{ port: 9080, name: 'http', targetPort: 'web' }]) as { spec: Record<string, unknown> };
  s.spec.clusterIP = ip;
  return s;
}

const backend = (name: string, extra: Record<string, unknown> = {}) => ({ name, port: 9080, ...extra });
const mesh = {
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'reviews', namespace: 'prod' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }],
    rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [backend('ratings')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/strip' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }], backendRefs: [backend('ratings')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/gone' } }], backendRefs: [backend('nowhere')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/zero' } }], backendRefs: [backend('ratings', { weight: 0 })] },
      { backendRefs: [backend('reviews')] },
    ],
  },
};

test('GIVEN a mesh HTTPRoute for reviews WHEN requests go through the client sidecar THEN /api and /api/x reach ratings, /apix reaches reviews, /strip/a reaches ratings as /a, /gone and /zero answer 500', async () => {
  const reviews = await startEcho('reviews');
  const ratings = await startEcho('ratings');
  const cleanups: (() => unknown)[] = [() => reviews.close(), () => ratings.close()];
  try {
    const g = graphOf([service('reviews', '10.96.0.20'), service('ratings', '10.96.0.21'), mesh]);
    const set = translateProxy(buildProxyView(g, client), [
      { name: 'reviews-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'reviews' }, ports: { web: reviews.port } },
      { name: 'ratings-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'ratings' }, ports: { web: ratings.port } },
    ]);
    const listener = set.listeners.find((l) => l.name === '0.0.0.0_9080')!;
    const { proxy, port } = await serveOnLoopback(set, listener, cleanups);
    const out: [string, number, string, string][] = [];
    for (const path of ['/api', '/api/x', '/apix', '/strip/a', '/gone', '/zero']) {
      const r = await get(port, path, { host: 'reviews.prod.svc.cluster.local:9080' });
      const url = r.headers['x-backend'] ? (JSON.parse(r.body) as { url: string }).url : '-';
      out.push([path, r.status, String(r.headers['x-backend'] ?? '-'), url]);
    }
    assert.equal(out, [
      ['/api', 200, 'ratings', '/api'],
      ['/api/x', 200, 'ratings', '/api/x'],
      ['/apix', 200, 'reviews', '/apix'],
      ['/strip/a', 200, 'ratings', '/a'],
      ['/gone', 500, '-', '-'],
      ['/zero', 500, '-', '-'],
    ], proxy.diagnostics.join('; '));
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

test.run();
