import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { graphOf } from './_graph.js';

const svc = (name: string, ns: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ port: 80, name: 'http' }] } });
const dr = (name: string, ns: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}) =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns, ...meta }, spec });

test('GIVEN rules in client, service and root namespaces WHEN a client looks up a host THEN Istio\'s order applies', () => {
  const objects = [
    svc('reviews', 'prod'),
    dr('root', 'istio-system', { host: 'reviews.prod.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }),
    dr('svc-ns', 'prod', { host: 'reviews' }),
    dr('client-ns', 'web', { host: 'reviews.prod.svc.cluster.local' }),
    dr('private', 'prod', { host: '*.prod.svc.cluster.local', exportTo: ['.'] }),
  ];
  const g = graphOf(objects);
  const table: [string, string, string][] = [
    ['web', 'client-namespace', 'client-ns'],
    ['prod', 'client-namespace', 'svc-ns'],
    ['other', 'service-namespace', 'svc-ns'],
  ];
  for (const [client, scope, name] of table) {
    const m = g.destinationRuleFor('reviews.prod.svc.cluster.local', client);
    assert.equal([m?.scope, m?.rules.map((r) => r.name)], [scope, [name]], client);
  }
  const noSvcNs = graphOf(objects.filter((o) => o.metadata.name !== 'svc-ns'));
  const m = noSvcNs.destinationRuleFor('reviews.prod.svc.cluster.local', 'other');
  assert.equal([m?.scope, m?.rules[0]?.name], ['root-namespace', 'root'], 'the private wildcard rule in prod is not exported to other');
  assert.is(noSvcNs.destinationRuleFor('reviews.prod.svc.cluster.local', 'prod')?.rules[0]?.name, 'private', 'own namespace sees its private wildcard rule');
});

test('GIVEN an exact and a wildcard rule in one namespace WHEN looked up THEN the most specific host wins', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('wild', 'prod', { host: '*.prod.svc.cluster.local' }),
    dr('exact', 'prod', { host: 'reviews' }),
  ]);
  assert.is(g.destinationRuleFor('reviews', 'prod')?.rules[0]?.name, 'exact');
  assert.is(g.destinationRuleFor('details.prod.svc.cluster.local', 'prod')?.rules[0]?.name, 'wild');
});

test('GIVEN several rules for one host in one namespace WHEN merged THEN subsets concatenate, first policy wins, by creation time then name', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('b-second', 'prod', { host: 'reviews', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } }, subsets: [{ name: 'v2', labels: { version: 'v2' } }, { name: 'v1', labels: { version: 'other' } }] }, { creationTimestamp: '2024-01-02T00:00:00Z' }),
    dr('a-first', 'prod', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] }, { creationTimestamp: '2024-01-01T00:00:00Z' }),
    dr('z-third', 'prod', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } }, subsets: [{ name: 'v3', labels: { version: 'v3' } }] }, { creationTimestamp: '2024-01-02T00:00:00Z' }),
  ]);
  const m = g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web')!;
  assert.equal(m.rules.map((r) => r.name), ['a-first', 'b-second', 'z-third']);
  assert.equal(m.subsets.map((s) => [s.name, s.labels.version, s.object.name]), [['v1', 'v1', 'a-first'], ['v2', 'v2', 'b-second'], ['v3', 'v3', 'z-third']]);
  assert.equal(m.duplicateSubsets.map((s) => [s.name, s.object.name, s.path]), [['v1', 'b-second', ['spec', 'subsets', 1]]]);
  assert.equal([m.trafficPolicy?.object.name, m.trafficPolicy?.value], ['b-second', { tls: { mode: 'ISTIO_MUTUAL' } }]);
  assert.equal(g.subsetsOf('reviews.prod.svc.cluster.local', 'web').map((s) => s.name), ['v1', 'v2', 'v3']);
});

test('GIVEN a rule with a workloadSelector WHEN clients look up THEN only selected clients in its namespace use it, before the namespace-wide rule', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('wide', 'web', { host: 'reviews.prod.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }),
    dr('only-canary', 'web', { host: 'reviews.prod.svc.cluster.local', workloadSelector: { matchLabels: { track: 'canary' } }, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } }),
  ]);
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'canary' })?.rules.map((r) => r.name), ['only-canary', 'wide']);
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'canary' })?.trafficPolicy?.object.name, 'only-canary');
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'stable' })?.rules.map((r) => r.name), ['wide']);
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web')?.rules.map((r) => r.name), ['wide']);
});

test('GIVEN the client namespace holds only a workloadSelector rule for the host (istiod: PushContext.destinationRule stops there, SidecarScope.DestinationRule keeps the selected rule or the selector-less one) WHEN a client it does not select looks up THEN it gets no rule, not the service namespace\'s; a selected client gets it; a client with unknown labels still reads the namespace-wide tiers', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('svc-ns', 'prod', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }),
    dr('only-canary', 'web', { host: 'reviews.prod.svc.cluster.local', workloadSelector: { matchLabels: { track: 'canary' } } }),
    dr('wild', 'web', { host: '*.prod.svc.cluster.local' }),
  ]);
  assert.is(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'stable' }), null, 'the most specific host in web has only a selector rule that does not select the client');
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'canary' })?.rules.map((r) => r.name), ['only-canary']);
  assert.equal(g.destinationRuleFor('details.prod.svc.cluster.local', 'web', { track: 'stable' })?.rules.map((r) => r.name), ['wild'], 'another host: the wildcard rule');
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'other', { track: 'stable' })?.rules.map((r) => r.name), ['svc-ns'], 'a client in a namespace without rules falls through');
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web')?.rules.map((r) => r.name), ['wild'], 'without labels (a check asking for the namespace) the selector rule is left out');
});

test('GIVEN MeshConfig defaultDestinationRuleExportTo "." WHEN another namespace looks up THEN the rule is hidden', async () => {
  const { meshContextOrThrow } = await import('../../src/mesh/mesh-config.js');
  const context = meshContextOrThrow({ meshConfig: { text: 'defaultDestinationRuleExportTo: ["."]\n', file: 'm.yaml' } });
  const g = graphOf([svc('reviews', 'prod'), dr('d', 'prod', { host: 'reviews' })], { context });
  assert.is(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web'), null);
  assert.is(g.destinationRuleFor('reviews', 'prod')?.rules[0]?.name, 'd');
});

test.run();
