/**
 * A Sidecar with `workloadSelector: {}` (present, no labels) is a workload-selected Sidecar to istiod, not a
 * namespace default: `initSidecarScopes` (pilot/pkg/model/push_context.go) puts every Sidecar whose
 * `WorkloadSelector != nil` in front of those without, and `getSidecarScope` takes the first whose labels (none)
 * are a subset of the proxy's, so it outranks the namespace's Sidecar without workloadSelector whatever their
 * ages, and in the root namespace it is no mesh default (`rootNSConfig` needs `WorkloadSelector == nil`).
 * Validation accepts it with a warning ("will be applied to all services in namespace").
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../src/checks/engine.js';
import routesNeverApplied from '../../src/checks/rules/routing/routes-never-applied.js';
import { buildProxyView, describeProxy } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { deploy, ns, sidecar, svc } from './view-fixtures.js';

const older = { creationTimestamp: '2024-01-01T00:00:00Z' };
const newer = { creationTimestamp: '2025-01-01T00:00:00Z' };
const sc = (name: string, namespace: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => {
  const o = sidecar(name, namespace, spec) as { metadata: Record<string, unknown> };
  Object.assign(o.metadata, meta);
  return o as Record<string, unknown>;
};
const egress = (hosts: string[]) => ({ egress: [{ hosts }] });
const objects = (extra: Record<string, unknown>[]) => [
  ns('shop'), ns('other'), deploy('cart', 'shop', { app: 'cart' }), deploy('web', 'other', { app: 'web' }),
  svc('cart', 'shop'), svc('web', 'other'), ...extra,
];
const cart = describeProxy({ name: 'cart', namespace: 'shop', labels: { app: 'cart' } });
const web = describeProxy({ name: 'web', namespace: 'other', labels: { app: 'web' } });
const hosts = (g: ReturnType<typeof graphOf>, p: typeof cart) => buildProxyView(g, p).services.map((s) => s.host);

test('GIVEN an older Sidecar without workloadSelector and a newer one with workloadSelector {} WHEN cart\'s scope is chosen THEN the {} one applies (istiod ranks it with the selectors)', () => {
  const g = graphOf(objects([sc('everything', 'shop', egress(['*/*']), older), sc('local-only', 'shop', { workloadSelector: {}, ...egress(['./*']) }, newer)]));
  const w = g.workloads.all.find((x) => x.name === 'cart')!;
  assert.equal(g.sidecarsFor(w).map((o) => o.name), ['local-only']);
  assert.is(buildProxyView(g, cart).sidecar?.ref.name, 'local-only');
  assert.equal(hosts(g, cart), ['cart.shop.svc.cluster.local']);
  const everything = g.ofKind('Sidecar').find((o) => o.name === 'everything')!;
  assert.ok(g.sidecarShadowed(everything), 'the selector-less Sidecar is used by no workload of the namespace');
});

test('GIVEN workloadSelector: {labels: {}} WHEN chosen THEN it selects too; workloadSelector: null is no selector', () => {
  const g1 = graphOf(objects([sc('everything', 'shop', egress(['*/*']), older), sc('local-only', 'shop', { workloadSelector: { labels: {} }, ...egress(['./*']) }, newer)]));
  assert.is(buildProxyView(g1, cart).sidecar?.ref.name, 'local-only');
  const g2 = graphOf(objects([sc('everything', 'shop', egress(['*/*']), older), sc('local-only', 'shop', { workloadSelector: null, ...egress(['./*']) }, newer)]));
  assert.is(buildProxyView(g2, cart).sidecar?.ref.name, 'everything');
});

test('GIVEN a root-namespace Sidecar with workloadSelector {} WHEN a workload of another namespace is scoped THEN it is no mesh default (istiod rootNSConfig needs no selector)', () => {
  const g = graphOf(objects([sc('mesh', 'istio-system', { workloadSelector: {}, ...egress(['./*']) }, newer)]));
  assert.is(buildProxyView(g, web).sidecar, null);
  assert.ok(hosts(g, web).includes('cart.shop.svc.cluster.local'));
  const g2 = graphOf(objects([sc('mesh', 'istio-system', egress(['./*']))]));
  assert.is(buildProxyView(g2, web).sidecar?.ref.name, 'mesh');
});

test('GIVEN the shadowed selector-less Sidecar WHEN routes-never-applied runs THEN it is skipped like any Sidecar istiod never uses', () => {
  const g = graphOf(objects([sc('everything', 'shop', egress(['*/*']), older), sc('local-only', 'shop', { workloadSelector: {}, ...egress(['./*']) }, newer)]));
  assert.not.ok(runRules(g, [routesNeverApplied], {}).some((f) => f.resource?.name === 'everything'));
});

test.run();
