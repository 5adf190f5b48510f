import { test } from 'uvu';
import * as assert from 'uvu/assert';
import principalNotFound from '../../src/checks/rules/security/principal-not-found.js';
import { runRules } from '../../src/checks/engine.js';
import { meshContextOrThrow } from '../../src/mesh/mesh-config.js';
import { graphOf } from './_graph.js';

const istioConfigMap = (namespace: string, mesh: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'istio', namespace },
  data: { mesh },
});

const MESH = 'trustDomain: corp.example\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n';

const workload = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'reviews', namespace: 'prod' },
  spec: {
    selector: { matchLabels: { app: 'reviews' } },
    template: { metadata: { labels: { app: 'reviews' }, annotations: { 'sidecar.istio.io/inject': 'true' } }, spec: { serviceAccountName: 'reviews', containers: [{ name: 'app', image: 'reviews' }] } },
  },
};

const policy = {
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'allow-ghost', namespace: 'prod' },
  spec: { action: 'ALLOW', rules: [{ from: [{ source: { principals: ['corp.example/ns/prod/sa/ghost'] } }] }] },
};

test('GIVEN the istio ConfigMap in the root namespace and no MeshConfig given WHEN the graph is built THEN its MeshConfig is the graph\'s one context', () => {
  const cm = istioConfigMap('istio-system', MESH);
  const graph = graphOf([cm, workload]);
  assert.is(graph.meshConfig.trustDomain, 'corp.example');
  assert.is(graph.trustDomain, 'corp.example');
  assert.is(graph.context.meshConfig, graph.meshConfig);
  assert.is(graph.meshConfig.outboundTrafficPolicy.mode, 'REGISTRY_ONLY');
  assert.is(graph.meshConfigSource?.name, 'istio');
});

test('GIVEN the ConfigMap\'s trust domain WHEN a rule reads the graph THEN it checks principals of that trust domain (ignored under the default cluster.local)', () => {
  const findings = runRules(graphOf([istioConfigMap('istio-system', MESH), workload, policy]), [principalNotFound]);
  assert.equal(findings.map((f) => f.ruleId), ['security/principal-not-found']);
  assert.match(findings[0]!.message, /corp\.example\/ns\/prod\/sa\/ghost/);
  assert.equal(runRules(graphOf([workload, policy]), [principalNotFound]), []);
});

test('GIVEN a MeshConfig given explicitly WHEN the input also holds the istio ConfigMap THEN the explicit one wins', () => {
  const context = meshContextOrThrow({ meshConfig: { text: 'trustDomain: explicit.example\n', file: 'mesh.yaml' } });
  const graph = graphOf([istioConfigMap('istio-system', MESH)], { context });
  assert.is(graph.trustDomain, 'explicit.example');
  assert.is(graph.meshConfigSource, null);
});

test('GIVEN the ConfigMap outside the root namespace, or with a mesh text that is not a valid MeshConfig WHEN the graph is built THEN Istio\'s defaults apply', () => {
  for (const cm of [istioConfigMap('default', MESH), istioConfigMap('istio-system', 'trustDomain: [not, a, string]\n'), istioConfigMap('istio-system', 'trustDomian: typo.example\nconnectTimeout: fast\n'), istioConfigMap('istio-system', 'trustDomain: corp.example\ntrustDomainAliases: [old_cluster]\n')]) {
    const graph = graphOf([cm]);
    assert.is(graph.trustDomain, 'cluster.local');
    assert.is(graph.meshConfigSource, null);
    assert.equal(graph.meshConfig.trustDomainAliases, []);
  }
});

test('GIVEN the ConfigMap with an unknown field beside valid ones WHEN the graph is built THEN, as istiod (protomarshal.ApplyYAML), the unknown field is dropped and the rest applies', () => {
  const graph = graphOf([istioConfigMap('istio-system', 'trustDomian: typo.example\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\ndefaultHttpRetryPolicy:\n  attemps: 4\n  attempts: 1\n')]);
  assert.is(graph.trustDomain, 'cluster.local');
  assert.is(graph.meshConfig.outboundTrafficPolicy.mode, 'REGISTRY_ONLY');
  assert.is(graph.meshConfig.defaultHttpRetryPolicy.attempts, 1);
  assert.is(graph.meshConfigSource?.name, 'istio');
});

test('GIVEN a root namespace chosen for the graph WHEN the istio ConfigMap is there THEN it is read from that namespace and the root namespace stays the chosen one', () => {
  const graph = graphOf([istioConfigMap('mesh-root', MESH)], { rootNamespace: 'mesh-root' });
  assert.is(graph.trustDomain, 'corp.example');
  assert.is(graph.rootNamespace, 'mesh-root');
});

const operator = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', metadata: { name, namespace: 'istio-system' }, spec });

test('GIVEN no MeshConfig ConfigMap but one IstioOperator with spec.meshConfig WHEN the graph is built THEN that MeshConfig applies (istioctl renders it into the istio ConfigMap)', () => {
  const graph = graphOf([operator('cp', { meshConfig: { trustDomain: 'corp.example', outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } }), workload]);
  assert.is(graph.trustDomain, 'corp.example');
  assert.is(graph.meshConfig.outboundTrafficPolicy.mode, 'REGISTRY_ONLY');
  assert.is(graph.meshConfigSource?.kind, 'IstioOperator');
  assert.is(graph.meshConfigAssumed, false);
});

test('GIVEN an IstioOperator beside the istio ConfigMap, two IstioOperators, or one without meshConfig WHEN the graph is built THEN the ConfigMap wins, else Istio\'s defaults are assumed', () => {
  assert.is(graphOf([istioConfigMap('istio-system', 'trustDomain: from.configmap\n'), operator('cp', { meshConfig: { trustDomain: 'from.operator' } })]).trustDomain, 'from.configmap');
  const two = graphOf([operator('a', { meshConfig: { trustDomain: 'a.example' } }), operator('b', { revision: 'canary', meshConfig: { trustDomain: 'b.example' } })]);
  assert.is(two.trustDomain, 'cluster.local');
  assert.is(two.meshConfigAssumed, true);
  assert.is(graphOf([operator('cp', { profile: 'minimal' })]).meshConfigAssumed, true);
});

test.run();
