/**
 * A sidecar's outbound RouteConfiguration for a port when the first mesh VirtualService for the host has no
 * route for that port: istiod builds a virtual host from each VirtualService with routes for the port and keeps
 * the first per domain (route.go BuildSidecarVirtualHostWrapper, httproute.go BuildSidecarOutboundVirtualHosts),
 * so the next VirtualService (or GAMMA HTTPRoute) naming the host serves it, not the service's default route.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { ns, route, svc, vs } from '../../mesh/view-fixtures.js';
import { targetOf } from './_select.js';

type Obj = Record<string, unknown>;
const HOST = 'reviews.prod.svc.cluster.local';
const at = (month: string) => ({ creationTimestamp: `2024-${month}-01T00:00:00Z` });
const twoPorts = svc('reviews', 'prod', [{ port: 9080, name: 'http' }, { port: 9090, name: 'http-admin' }]);
const backends = ['reviews-v1', 'reviews-v2'].map((s) => svc(s, 'prod', [{ port: 9080, name: 'http' }, { port: 9090, name: 'http-admin' }]));
/** Older: its only rule matches port 9090. */
const adminOnly = vs('admin', 'prod', { hosts: ['reviews'], http: [{ match: [{ port: 9090 }], route: [route('reviews-v1')] }] }, at('01'));

/** The clusters the client's RouteConfiguration `port` sends `HOST` to, route by route. */
function targets(objects: Obj[], port: string): string[] {
  const view = buildProxyView(graphOf([ns('prod'), ns('web'), twoPorts, ...backends, ...objects]), describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } }));
  const rc = translateProxy(view, []).routes.find((r) => r.name === port)!;
  return rc.virtualHosts.find((v) => v.domains.includes(HOST))!.routes.map(targetOf);
}

test('GIVEN an older VirtualService with rules only for port 9090 and a newer one for every port WHEN the client is translated THEN RouteConfiguration 9080 routes reviews by the newer one, 9090 by the older one', () => {
  const general = vs('general', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews-v2')] }] }, at('02'));
  assert.equal(targets([adminOnly, general], '9080'), ['outbound|9080||reviews-v2.prod.svc.cluster.local']);
  assert.equal(targets([adminOnly, general], '9090'), ['outbound|9090||reviews-v1.prod.svc.cluster.local']);
});

test('GIVEN the older VirtualService and a newer producer HTTPRoute for reviews WHEN the client is translated THEN RouteConfiguration 9080 routes reviews by the HTTPRoute', () => {
  const gamma = {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'gamma', namespace: 'prod', ...at('02') },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }], rules: [{ backendRefs: [{ name: 'reviews-v2', port: 9080 }] }] },
  };
  assert.equal(targets([adminOnly, gamma], '9080'), ['outbound|9080||reviews-v2.prod.svc.cluster.local']);
});

test('GIVEN only the older VirtualService WHEN the client is translated THEN RouteConfiguration 9080 keeps the default route to reviews', () => {
  assert.equal(targets([adminOnly], '9080'), ['outbound|9080||reviews.prod.svc.cluster.local']);
});

test.run();
