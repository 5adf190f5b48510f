/**
 * istiod's route translation over real sockets: the client sidecar's translated config, served by our
 * ADS server to the reference proxy, in front of two echo backends (reviews, ratings on `http` 9080).
 * A `headers.request.set` of `:authority` is the route's host rewrite (Envoy refuses it as a header
 * operation); a `withoutHeaders` string match lets a request without the header through
 * (`treat_missing_header_as_empty`); a redirect with `derivePort: FROM_REQUEST_PORT` names the route's
 * port and keeps the request's path. Only the listener address changes (to 127.0.0.1:0).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { route, svc, vs } from '../../mesh/view-fixtures.js';
import { get, startEcho } from '../../proxy/_harness.js';
import { serveOnLoopback } from './_loopback-sidecar.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });

function service(name: string, ip: string) {
  const s = svc(name, 'prod', [{ port: 9080, name: 'http', targetPort: 'web' }]) as { spec: Record<string, unknown> };
  s.spec.clusterIP = ip;
  return s;
}

/** The responses to `requests` (path and headers, authority reviews) through the client sidecar, reviews routed by `http`. */
async function through(http: Record<string, unknown>[], requests: [string, Record<string, string>][]) {
  const reviews = await startEcho('reviews');
  const ratings = await startEcho('ratings');
  const cleanups: (() => unknown)[] = [() => reviews.close(), () => ratings.close()];
  try {
    const g = graphOf([service('reviews', '10.96.0.20'), service('ratings', '10.96.0.21'), vs('reviews', 'prod', { hosts: ['reviews'], http })]);
    const set = translateProxy(buildProxyView(g, client), [
      { name: 'reviews-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'reviews' }, ports: { web: reviews.port } },
      { name: 'ratings-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'ratings' }, ports: { web: ratings.port } },
    ]);
    const listener = set.listeners.find((l) => l.name === '0.0.0.0_9080')!;
    const { proxy, port } = await serveOnLoopback(set, listener, cleanups);
    const out: { status: number; backend: string; host: string; location: string }[] = [];
    for (const [path, headers] of requests) {
      const r = await get(port, path, { host: 'reviews.prod.svc.cluster.local:9080', ...headers });
      const echoed = r.headers['x-backend'] ? (JSON.parse(r.body) as { headers: Record<string, string> }).headers : {};
      out.push({ status: r.status, backend: String(r.headers['x-backend'] ?? '-'), host: echoed.host ?? '-', location: String(r.headers.location ?? '-') });
    }
    return { out, diagnostics: proxy.diagnostics };
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

test('GIVEN a route whose headers.request.set names :authority WHEN a request goes through the sidecar THEN the upstream sees that Host (host_rewrite_literal), and the route configuration is accepted', async () => {
  const got = await through([{ route: [route('reviews')], headers: { request: { set: { ':authority': 'reviews.internal', 'x-seen': '1' } } } }], [['/a', {}]]);
  assert.equal(got.out.map((o) => [o.status, o.backend, o.host]), [[200, 'reviews', 'reviews.internal']], got.diagnostics.join('; '));
});

test('GIVEN withoutHeaders x-legacy exact "yes" routing to ratings WHEN requests come without x-legacy, with "no" and with "yes" THEN the first two reach ratings (a missing header is empty, as istiod configures it) and the last reviews', async () => {
  const got = await through([
    { match: [{ withoutHeaders: { 'x-legacy': { exact: 'yes' } } }], route: [route('ratings')] },
    { route: [route('reviews')] },
  ], [['/', {}], ['/', { 'x-legacy': 'no' }], ['/', { 'x-legacy': 'yes' }]]);
  assert.equal(got.out.map((o) => o.backend), ['ratings', 'ratings', 'reviews']);
});

test('GIVEN a redirect with only an authority and derivePort FROM_REQUEST_PORT WHEN a request for /old?q=1 comes in on the 9080 routes THEN the Location names the new host, port 9080 and the request\'s own path and query', async () => {
  const got = await through([{ redirect: { authority: 'reviews.example', derivePort: 'FROM_REQUEST_PORT', redirectCode: 302 } }], [['/old?q=1', {}]]);
  assert.equal(got.out.map((o) => [o.status, o.location]), [[302, 'http://reviews.example:9080/old?q=1']]);
});

test.run();
