/**
 * Which mesh VirtualService a sidecar applies when several declare one host: istiod lists a namespace's own
 * scoped VirtualServices first, then those other namespaces export to it by name, then those exported to
 * every namespace (PushContext.VirtualServicesForGateway, model.SelectVirtualServices), and drops the later
 * ones' virtual hosts as duplicate domains; creation order ranks only within one of those tiers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { route, svc, vs } from './view-fixtures.js';

const REVIEWS = 'reviews.prod.svc.cluster.local';
const at = (t: string) => ({ creationTimestamp: `2024-0${t}-01T00:00:00Z` });

/** The oldest exported to every namespace, one exported by name to web, the newest scoped to web itself. */
const graph = () => graphOf([
  svc('reviews', 'prod'),
  vs('everyone', 'prod', { hosts: [REVIEWS], http: [{ route: [route('reviews')] }] }, at('1')),
  vs('named', 'ops', { hosts: [REVIEWS], exportTo: ['web'], http: [{ route: [route('reviews')] }] }, at('2')),
  vs('own', 'web', { hosts: [REVIEWS], exportTo: ['.'], http: [{ route: [route('reviews')] }] }, at('3')),
]);

const applied = (namespace: string) => {
  const v = buildProxyView(graph(), describeProxy({ name: 'client', namespace, labels: { app: 'client' } }));
  const r = v.routes.find((h) => h.host === REVIEWS && h.port === 9080)!;
  return [r.virtualServices.map((o) => `${o.ref.namespace}/${o.ref.name}`), r.ignoredVirtualServices.map((o) => `${o.ref.namespace}/${o.ref.name}`)];
};

test('GIVEN a VirtualService scoped to web, one exported to web by name and an older one exported everywhere WHEN a sidecar in web is viewed THEN its own namespace\'s applies, then the named one outranks the older public one', () => {
  assert.equal(applied('web'), [['web/own'], ['ops/named', 'prod/everyone']]);
});

test('GIVEN the same VirtualServices WHEN a sidecar of another namespace is viewed THEN only the one exported everywhere is visible and applies', () => {
  assert.equal(applied('shop'), [['prod/everyone'], []]);
});

test.run();
