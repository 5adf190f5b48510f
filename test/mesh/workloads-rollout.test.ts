/**
 * Argo Rollouts in the workload model: a `Rollout` (argoproj.io) runs pods from `spec.template`
 * exactly as a Deployment does; with `spec.workloadRef` the referenced Deployment's template is
 * the pods' (Argo scales that Deployment down and runs the same template), counted once; a missing
 * target is a finding, not silence. Also the pure readers of its Istio traffic routing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../src/checks/engine.js';
import { ALL_RULES, findRule } from '../../src/checks/rules/index.js';
import { chosenHttpRoutes, chosenL4Routes, destinationServiceName, rolloutIstioRouting, virtualServiceKey } from '../../src/mesh/argo-rollouts.js';
import { rolloutWorkloadRef } from '../../src/mesh/workloads.js';
import { graphOf } from './_graph.js';

type Obj = Record<string, unknown>;
const NS = 'shop';
const template = (labels: Record<string, string>, sa = 'reviews'): Obj => ({
  metadata: { labels },
  spec: { serviceAccountName: sa, containers: [{ name: 'app', ports: [{ containerPort: 9080, name: 'http' }] }] },
});
const rollout = (name: string, spec: Obj, apiVersion = 'argoproj.io/v1alpha1'): Obj => ({ apiVersion, kind: 'Rollout', metadata: { name, namespace: NS }, spec });
const deployment = (name: string, labels: Record<string, string>): Obj => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS }, spec: { replicas: 0, selector: { matchLabels: labels }, template: template(labels) },
});
const service = (name: string, selector: Record<string, string>): Obj => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { selector, ports: [{ name: 'http', port: 9080 }] },
});
const authz = (labels: Record<string, string>): Obj => ({
  apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'reviews', namespace: NS },
  spec: { selector: { matchLabels: labels }, rules: [{ from: [{ source: { namespaces: [NS] } }] }] },
});

test('GIVEN a Rollout with spec.template WHEN the graph is built THEN it is a workload like a Deployment: template labels, service account, container ports, template path', () => {
  const g = graphOf([rollout('reviews', { selector: { matchLabels: { app: 'reviews' } }, template: template({ app: 'reviews', version: 'v2' }) })]);
  assert.equal(g.workloads.all.map((w) => [w.kind, w.name, w.namespace, { ...w.labels }, w.serviceAccount, w.containerPorts.map((p) => p.containerPort), w.templatePath]), [
    ['Rollout', 'reviews', NS, { app: 'reviews', version: 'v2' }, 'reviews', [9080], ['spec', 'template']],
  ]);
  assert.equal(g.workloadsSelectedBy(NS, { app: 'reviews' }).map((w) => w.name), ['reviews']);
  assert.equal(g.servicesSelecting(g.workloads.all[0]!).map((s) => s.object.name), []);
});

test('GIVEN a Rollout with workloadRef to a Deployment WHEN the graph is built THEN the Deployment is the one workload of those pods (not counted twice), and the Rollout has none of its own', () => {
  const ro = rollout('reviews', { workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'reviews-v1', scaleDown: 'onsuccess' }, template: {} });
  const g = graphOf([ro, deployment('reviews-v1', { app: 'reviews' }), service('reviews', { app: 'reviews' })]);
  assert.equal(g.workloads.all.map((w) => `${w.kind}/${w.name}`), ['Deployment/reviews-v1']);
  assert.is(g.workloads.of(g.get('Rollout', NS, 'reviews')!), undefined);
  assert.equal(g.workloadsSelectedBy(NS, { app: 'reviews' }).map((w) => `${w.kind}/${w.name}`), ['Deployment/reviews-v1']);
  assert.equal(rolloutWorkloadRef(g.get('Rollout', NS, 'reviews')!), { apiVersion: 'apps/v1', group: 'apps', kind: 'Deployment', name: 'reviews-v1', path: ['spec', 'workloadRef'] });
});

test('GIVEN a Rollout of another API group (KubeVela standard.oam.dev) WHEN the graph is built THEN it is no workload', () => {
  const g = graphOf([rollout('reviews', { template: template({ app: 'reviews' }) }, 'standard.oam.dev/v1alpha1')]);
  assert.equal(g.workloads.all, []);
});

// Another workload in the input: IST0127 is skipped when the input holds none at all.
const frontend = deployment('frontend', { app: 'frontend' });
const findings = (objects: Obj[], ids: string[]) =>
  runRules(graphOf([frontend, ...objects]), ids.map((id) => findRule(id)!), {}).filter((f) => ids.includes(f.ruleId)).map((f) => `${f.ruleId} ${f.resource?.kind}/${f.resource?.name}: ${f.message}`);

test('GIVEN an AuthorizationPolicy selecting only Rollout pods WHEN checked THEN no "selects no workload" finding; without the Rollout THEN IST0127', () => {
  const ro = rollout('reviews', { template: template({ app: 'reviews' }) });
  const ids = ALL_RULES.filter((r) => r.id === 'security/authz-selects-no-workload').map((r) => r.id);
  assert.equal(ids.length, 1);
  assert.equal(findings([ro, authz({ app: 'reviews' })], ids), []);
  const without = findings([authz({ app: 'reviews' })], ids);
  assert.is(without.length, 1, without.join('\n'));
  assert.match(without[0]!, /No matching workloads for this resource with the following labels: app=reviews/);
});

test('GIVEN a Rollout whose workloadRef names a Deployment missing from the input WHEN checked THEN references/rollout-workload-ref says its pods are invisible, and the policy selecting them is reported too', () => {
  const ro = rollout('reviews', { workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'reviews-v1' } });
  const found = findings([ro, authz({ app: 'reviews' })], ['references/rollout-workload-ref', 'security/authz-selects-no-workload']);
  assert.is(found.length, 2, found.join('\n'));
  assert.match(found.join('\n'), /references\/rollout-workload-ref Rollout\/reviews: workloadRef names Deployment shop\/reviews-v1, which is not in the input: meshproof sees no pods for this Rollout/);
  assert.equal(findings([ro, deployment('reviews-v1', { app: 'reviews' }), authz({ app: 'reviews' })], ['references/rollout-workload-ref', 'security/authz-selects-no-workload']), []);
});

test('GIVEN virtualService names WHEN read as Argo does (GetVirtualServiceNamespaceName) THEN name.namespace (last field the namespace, .cluster.local dropped), else the Rollout namespace', () => {
  assert.equal(virtualServiceKey('reviews', NS), { name: 'reviews', namespace: NS });
  assert.equal(virtualServiceKey('reviews.edge', NS), { name: 'reviews', namespace: 'edge' });
  assert.equal(virtualServiceKey('reviews.v2.edge', NS), { name: 'reviews.v2', namespace: 'edge' });
  assert.equal(virtualServiceKey('reviews.edge.cluster.local', NS), { name: 'reviews', namespace: 'edge' }, 'Argo\'s fully qualified form');
  assert.equal(virtualServiceKey('reviews.edge.svc.cluster.local', NS), { name: 'reviews.edge', namespace: 'svc' }, 'a Service-style FQDN is not understood by Argo either');
  assert.equal(destinationServiceName('reviews-canary.shop.svc.cluster.local'), 'reviews-canary');
  assert.equal(destinationServiceName('reviews-canary'), 'reviews-canary');
});

test('GIVEN route selectors WHEN chosen as Argo does THEN named HTTP routes by name (missing ones listed), else the single or first unnamed route; TLS/TCP by exact port and SNI set', () => {
  const ro = rollout('reviews', {
    strategy: { canary: { stableService: 's', canaryService: 'c', trafficRouting: { istio: { virtualServices: [
      { name: 'a', routes: ['primary', 'gone'] }, { name: 'b' }, { name: 'c.edge', tlsRoutes: [{ port: 443, sniHosts: ['x.example', 'y.example'] }], tcpRoutes: [{ port: 5432 }] },
    ] } } } },
  });
  const r = rolloutIstioRouting(graphOf([ro]).get('Rollout', NS, 'reviews')!)!;
  assert.equal([r.virtualServiceConfig, r.virtualServices.map((v) => `${v.namespace}/${v.name}`), r.stableService.name, r.canaryService.name], ['multiple', ['shop/a', 'shop/b', 'edge/c'], 's', 'c']);
  const [a, b, c] = r.virtualServices;
  assert.equal(chosenHttpRoutes(a!, [{ name: 'other' }, { name: 'primary' }]), { indexes: [1], missing: [{ selector: 'gone', path: [...a!.path, 'routes', 1] }] });
  assert.equal(chosenHttpRoutes(b!, [{ name: 'x' }]).indexes, [0], 'a single route, named or not');
  assert.equal(chosenHttpRoutes(b!, [{ name: 'x' }, {}, {}]).indexes, [1], 'else the first unnamed one');
  assert.equal(chosenHttpRoutes(b!, [{ name: 'x' }, { name: 'y' }]).indexes, [], 'else none');
  const tls = [{ match: [{ port: 443, sniHosts: ['y.example'] }, { port: 443, sniHosts: ['x.example'] }] }, { match: [{ port: 443, sniHosts: ['x.example'] }] }];
  assert.equal(chosenL4Routes(c!, 'tls', tls), { indexes: [0], missing: [] });
  assert.equal(chosenL4Routes(c!, 'tcp', [{ match: [{ port: 5432 }, { port: 5433 }] }, { match: [{ port: 5432 }] }]), { indexes: [1], missing: [] }, 'a route matching several ports is never chosen');
  assert.equal(chosenL4Routes(c!, 'tcp', [{ match: [{ port: 1 }] }]).missing.map((m) => m.selector), ['0']);
  assert.equal(chosenL4Routes(b!, 'tcp', [{}, {}]).indexes, [0], 'no selectors: the first route');
});

test('GIVEN pingPong without stable/canary Services WHEN read THEN pong is the stable and ping the canary Service (Argo before any status)', () => {
  const ro = rollout('reviews', { strategy: { canary: { pingPong: { pingService: 'ping', pongService: 'pong' }, trafficRouting: { istio: { virtualService: { name: 'v' } } } } } });
  const r = rolloutIstioRouting(graphOf([ro]).get('Rollout', NS, 'reviews')!)!;
  assert.equal([r.stableService.name, r.stableService.path, r.canaryService.name, r.pingPong], ['pong', ['spec', 'strategy', 'canary', 'pingPong', 'pongService'], 'ping', true]);
});

test.run();
