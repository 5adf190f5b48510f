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

test('GIVEN a rule with a workloadSelector and a namespace-wide rule without exportTo WHEN clients look up THEN a selected client uses the selector rule alone (their exportTo sets differ: istiod keeps them apart), the others the namespace-wide rule', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('wide', 'web', { host: 'reviews.prod.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }),
    dr('only-canary', 'web', { host: 'reviews.prod.svc.cluster.local', workloadSelector: { matchLabels: { track: 'canary' } }, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } }),
  ]);
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'canary' })?.rules.map((r) => r.name), ['only-canary']);
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'canary' })?.trafficPolicy?.object.name, 'only-canary');
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'stable' })?.rules.map((r) => r.name), ['wide']);
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web')?.rules.map((r) => r.name), ['wide']);
});

test('GIVEN the client namespace holds only a workloadSelector rule for the host (istiod: PushContext.destinationRule stops there, SidecarScope.DestinationRule keeps the selected rule or the selector-less one) WHEN a client it does not select looks up THEN it gets no rule, not the service namespace\'s nor a less specific host\'s; a selected client gets it; a client with unknown labels is one no selector picks', () => {
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
  assert.is(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web'), null, 'without labels (a check asking for the namespace): the workloads no selector picks');
});

test('GIVEN MeshConfig defaultDestinationRuleExportTo "." WHEN another namespace looks up THEN the rule is hidden', async () => {
  const { meshContextOrThrow } = await import('../../src/mesh/mesh-config.js');
  const context = meshContextOrThrow({ meshConfig: { text: 'defaultDestinationRuleExportTo: ["."]\n', file: 'm.yaml' } });
  const g = graphOf([svc('reviews', 'prod'), dr('d', 'prod', { host: 'reviews' })], { context });
  assert.is(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web'), null);
  assert.is(g.destinationRuleFor('reviews', 'prod')?.rules[0]?.name, 'd');
});

const at = (t: string) => ({ creationTimestamp: `2024-01-0${t}T00:00:00Z` });
const names = (m: { rules: readonly { name: string }[] } | null) => m?.rules.map((r) => r.name);

test('GIVEN two rules for one host in one namespace with different exportTo WHEN clients look up THEN istiod keeps them apart (ENABLE_ENHANCED_DESTINATIONRULE_MERGE) and each namespace gets the one exported to it', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('to-all', 'prod', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }] }, at('1')),
    dr('to-web', 'prod', { host: 'reviews', exportTo: ['web'], trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } }, subsets: [{ name: 'v2', labels: { version: 'v2' } }] }, at('2')),
  ]);
  assert.equal(names(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web')), ['to-web'], 'web: the rule exported to it by name is the last of those it sees');
  assert.equal(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web')?.trafficPolicy?.value, { loadBalancer: { simple: 'LEAST_REQUEST' } });
  assert.equal(names(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'other')), ['to-all'], 'other: only the rule exported everywhere');
  assert.equal(g.subsetsOf('reviews.prod.svc.cluster.local', 'other').map((s) => s.name), ['v1'], 'v2 is not merged in');
  assert.equal(names(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'prod')), ['to-all'], 'prod: to-web is not visible in its own namespace');
});

test('GIVEN rules with equal exportTo sets (as written, in any order) WHEN clients look up THEN they merge; "." and the namespace\'s own name are different sets', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('a', 'prod', { host: 'reviews', exportTo: ['web', 'api'], subsets: [{ name: 'v1', labels: { version: 'v1' } }] }, at('1')),
    dr('b', 'prod', { host: 'reviews', exportTo: ['api', 'web'], subsets: [{ name: 'v2', labels: { version: 'v2' } }] }, at('2')),
    dr('dot', 'prod', { host: 'reviews', exportTo: ['.'], subsets: [{ name: 'v3', labels: { version: 'v3' } }] }, at('3')),
    dr('own', 'prod', { host: 'reviews', exportTo: ['prod'], subsets: [{ name: 'v4', labels: { version: 'v4' } }] }, at('4')),
  ]);
  assert.equal(names(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web')), ['a', 'b']);
  assert.equal(g.subsetsOf('reviews.prod.svc.cluster.local', 'api').map((s) => s.name), ['v1', 'v2']);
  assert.equal(names(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'prod')), ['own'], 'prod sees dot and own apart, and takes the last');
  assert.is(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'other'), null);
});

test('GIVEN a later rule whose exportTo includes an earlier one\'s (no selectors) WHEN clients look up THEN istiod merges it into the earlier one and keeps it nowhere else: namespaces only it names get no rule', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('narrow', 'prod', { host: 'reviews', exportTo: ['web'], subsets: [{ name: 'v1', labels: { version: 'v1' } }] }, at('1')),
    dr('wide', 'prod', { host: 'reviews', exportTo: ['web', 'api'], subsets: [{ name: 'v2', labels: { version: 'v2' } }] }, at('2')),
  ]);
  assert.equal(names(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web')), ['narrow', 'wide']);
  assert.is(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'api'), null, 'pilot/pkg/model/destination_rule.go: appendSeparately ends false');
});

test('GIVEN a workloadSelector rule and a namespace-wide rule whose exportTo includes "." and more WHEN clients look up THEN the selected client gets both merged, every other client the namespace-wide one (istiod TestSetDestinationRuleWithWorkloadSelector)', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('wide', 'web', { host: 'reviews.prod.svc.cluster.local', exportTo: ['.', 'api'], trafficPolicy: { loadBalancer: { simple: 'RANDOM' } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }] }, at('1')),
    dr('canary', 'web', { host: 'reviews.prod.svc.cluster.local', workloadSelector: { matchLabels: { track: 'canary' } }, subsets: [{ name: 'v2', labels: { version: 'v2' } }] }, at('2')),
  ]);
  const canary = g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'canary' });
  assert.equal([names(canary), canary?.subsets.map((s) => s.name), canary?.trafficPolicy?.object.name], [['canary', 'wide'], ['v2', 'v1'], 'wide']);
  assert.equal(names(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'stable' })), ['wide']);
});

test('GIVEN a workloadSelector rule and a namespace-wide rule both exported to "." WHEN a client the selector does not pick looks up THEN it gets no rule: istiod merges the second into the first and keeps it nowhere else (istio/istio#58322)', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('wide', 'web', { host: 'reviews.prod.svc.cluster.local', exportTo: ['.'], trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }, at('1')),
    dr('canary', 'web', { host: 'reviews.prod.svc.cluster.local', workloadSelector: { matchLabels: { track: 'canary' } } }, at('2')),
  ]);
  assert.equal(names(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'canary' })), ['canary', 'wide']);
  assert.is(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web', { track: 'stable' }), null);
});

test('GIVEN a rule for the exact host exported only to web and a wildcard rule exported everywhere in the service namespace WHEN a client in api looks up THEN it gets the root namespace\'s rule: the most specific host there has nothing for it, and istiod does not fall back to the wildcard', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('exact', 'prod', { host: 'reviews', exportTo: ['web'] }),
    dr('wild', 'prod', { host: '*.prod.svc.cluster.local' }),
    dr('root', 'istio-system', { host: 'reviews.prod.svc.cluster.local' }),
  ]);
  assert.equal(names(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'web')), ['exact']);
  assert.equal([g.destinationRuleFor('reviews.prod.svc.cluster.local', 'api')?.scope, names(g.destinationRuleFor('reviews.prod.svc.cluster.local', 'api'))], ['root-namespace', ['root']]);
});

test.run();
