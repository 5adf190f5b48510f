/**
 * Which mesh VirtualService gives a sidecar port its HTTP routes when the first one for the host has none
 * for that port: istiod builds a virtual host from every VirtualService of the egress listener that has
 * routes for the port and keeps the first per domain (route.go BuildSidecarVirtualHostWrapper, httproute.go
 * BuildSidecarOutboundVirtualHosts), so the next VirtualService naming the host applies. A wildcard host
 * reaches the service only through the VirtualService computeWildcardHostVirtualServiceIndex picks, so
 * there the service keeps its default route.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { route, svc, vs } from './view-fixtures.js';

const REVIEWS = 'reviews.prod.svc.cluster.local';
const at = (t: string) => ({ creationTimestamp: `2024-0${t}-01T00:00:00Z` });
const twoPorts = svc('reviews', 'prod', [{ port: 9080, name: 'http' }, { port: 9090, name: 'http-admin' }]);
/** Older; every rule matches port 9090 only. */
const adminOnly = (hosts: string[]) => vs('admin', 'prod', { hosts, http: [{ match: [{ port: 9090 }], route: [route('reviews', { subset: 'admin' })] }] }, at('1'));
/** Newer; one rule for every port, with a timeout to tell it from the default route. */
const general = (hosts: string[]) => vs('general', 'prod', { hosts, http: [{ route: [route('reviews')], timeout: '3s' }] }, at('2'));

const portRoutes = (objects: Record<string, unknown>[], port: number) => {
  const v = buildProxyView(graphOf(objects), describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } }));
  const r = v.routes.find((h) => h.host === REVIEWS && h.port === port)!;
  const names = (os: readonly { ref: { namespace: string; name: string } }[]) => os.map((o) => `${o.ref.namespace}/${o.ref.name}`);
  return { sources: names(r.virtualServices), ignored: names(r.ignoredVirtualServices), http: r.http.map((h) => `${h.name ?? '-'} ${h.timeoutMs ?? 'none'}`) };
};

test('GIVEN two VirtualServices naming reviews, the older with rules only for port 9090 WHEN a sidecar builds port 9080 THEN the newer one applies there (not the default route)', () => {
  assert.equal(portRoutes([twoPorts, adminOnly([REVIEWS]), general([REVIEWS])], 9080), { sources: ['prod/general'], ignored: ['prod/admin'], http: ['- 3000'] });
});

test('GIVEN the same VirtualServices WHEN a sidecar builds port 9090 THEN the older one still applies, the newer one is ignored', () => {
  assert.equal(portRoutes([twoPorts, adminOnly([REVIEWS]), general([REVIEWS])], 9090), { sources: ['prod/admin'], ignored: ['prod/general'], http: ['- none'] });
});

test('GIVEN only the VirtualService with rules for port 9090 WHEN a sidecar builds port 9080 THEN the service keeps its default route', () => {
  assert.equal(portRoutes([twoPorts, adminOnly([REVIEWS])], 9080), { sources: [], ignored: ['prod/admin'], http: ['default none'] });
});

test('GIVEN both VirtualServices under one wildcard host WHEN a sidecar builds port 9080 THEN only the first (the wildcard index picks one per host) could apply, so the default route stays', () => {
  const wildcard = ['*.prod.svc.cluster.local'];
  assert.equal(portRoutes([twoPorts, adminOnly(wildcard), general(wildcard)], 9080), { sources: [], ignored: ['prod/admin', 'prod/general'], http: ['default none'] });
});

test('GIVEN the older VirtualService names reviews exactly and the newer one a wildcard WHEN a sidecar builds port 9080 THEN the wildcard one never reaches reviews (an exact host wins), so the default route stays', () => {
  assert.equal(portRoutes([twoPorts, adminOnly([REVIEWS]), general(['*.prod.svc.cluster.local'])], 9080), { sources: [], ignored: ['prod/admin'], http: ['default none'] });
});

test.run();
