import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshGraph } from '../../src/mesh/graph.js';
import { graphOf } from './_graph.js';

interface Case {
  readonly name: string;
  /** Namespace labels; null = no Namespace object in the input. */
  readonly ns: Record<string, string> | null;
  readonly podLabels?: Record<string, string>;
  readonly podAnnotations?: Record<string, string>;
  readonly podSpec?: Record<string, unknown>;
  readonly expected: string;
  readonly revision?: string;
  readonly reason?: RegExp;
}

const CASES: Case[] = [
  { name: 'injection enabled', ns: { 'istio-injection': 'enabled' }, expected: 'sidecar', reason: /istio-injection: enabled/ },
  { name: 'revision label', ns: { 'istio.io/rev': 'canary' }, expected: 'sidecar', revision: 'canary' },
  { name: 'injection enabled, pod opts out by label', ns: { 'istio-injection': 'enabled' }, podLabels: { 'sidecar.istio.io/inject': 'false' }, expected: 'none' },
  { name: 'injection enabled, pod opts out by annotation', ns: { 'istio-injection': 'enabled' }, podAnnotations: { 'sidecar.istio.io/inject': 'false' }, expected: 'none' },
  { name: 'injection disabled, pod asks', ns: { 'istio-injection': 'disabled' }, podLabels: { 'sidecar.istio.io/inject': 'true' }, expected: 'none' },
  { name: 'unlabelled namespace', ns: {}, expected: 'none', reason: /no istio-injection/ },
  { name: 'unlabelled namespace, pod label true', ns: {}, podLabels: { 'sidecar.istio.io/inject': 'true' }, expected: 'sidecar' },
  { name: 'unlabelled namespace, pod annotation true only', ns: {}, podAnnotations: { 'sidecar.istio.io/inject': 'true' }, expected: 'none' },
  { name: 'unlabelled namespace, pod revision', ns: {}, podLabels: { 'istio.io/rev': 'stable' }, expected: 'sidecar', revision: 'stable' },
  { name: 'ambient namespace', ns: { 'istio.io/dataplane-mode': 'ambient' }, expected: 'ambient' },
  { name: 'ambient namespace, pod opts out', ns: { 'istio.io/dataplane-mode': 'ambient' }, podLabels: { 'istio.io/dataplane-mode': 'none' }, expected: 'none' },
  { name: 'ambient pod in plain namespace', ns: {}, podLabels: { 'istio.io/dataplane-mode': 'ambient' }, expected: 'ambient' },
  { name: 'injection wins over ambient', ns: { 'istio-injection': 'enabled', 'istio.io/dataplane-mode': 'ambient' }, expected: 'sidecar' },
  { name: 'namespace absent', ns: null, expected: 'unknown', reason: /not in the input/ },
  { name: 'captured by ztunnel, namespace absent', ns: null, podAnnotations: { 'ambient.istio.io/redirection': 'enabled' }, expected: 'ambient', reason: /ambient\.istio\.io\/redirection/ },
  { name: 'captured by ztunnel, plain namespace', ns: {}, podAnnotations: { 'ambient.istio.io/redirection': 'enabled' }, expected: 'ambient' },
  { name: 'redirection disabled', ns: {}, podAnnotations: { 'ambient.istio.io/redirection': 'disabled' }, expected: 'none' },
  { name: 'sidecar pod is never captured', ns: {}, podAnnotations: { 'ambient.istio.io/redirection': 'enabled' }, podSpec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] }, expected: 'sidecar' },
  { name: 'namespace absent, pod opts out', ns: null, podLabels: { 'sidecar.istio.io/inject': 'false' }, expected: 'none' },
  { name: 'gateway template', ns: null, podAnnotations: { 'inject.istio.io/templates': 'gateway' }, expected: 'gateway' },
  { name: 'istio: ingressgateway label', ns: {}, podLabels: { istio: 'ingressgateway' }, expected: 'gateway' },
  { name: 'installer gateway (router)', ns: null, podSpec: { containers: [{ name: 'istio-proxy', args: ['proxy', 'router'] }] }, expected: 'gateway' },
  { name: 'manual injection', ns: {}, podSpec: { containers: [{ name: 'app' }, { name: 'istio-proxy', args: ['proxy', 'sidecar'] }] }, expected: 'sidecar' },
  { name: 'host network', ns: { 'istio-injection': 'enabled' }, podSpec: { hostNetwork: true, containers: [{ name: 'app' }] }, expected: 'none' },
];

function graphFor(c: Case): MeshGraph {
  const docs: Record<string, unknown>[] = [{
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app', namespace: 'shop' },
    spec: { template: { metadata: { labels: { app: 'a', ...c.podLabels }, annotations: c.podAnnotations ?? {} }, spec: c.podSpec ?? { containers: [{ name: 'app' }] } } },
  }];
  if (c.ns) docs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: c.ns } });
  return graphOf(docs);
}

test('GIVEN namespace labels and pod templates WHEN membership is decided THEN Istio\'s injection rules apply', () => {
  for (const c of CASES) {
    const g = graphFor(c);
    const m = g.membershipOf(g.workloads.all[0]!);
    assert.is(m.dataplane, c.expected, c.name);
    assert.is(m.revision, c.revision, `${c.name}: revision`);
    assert.is(m.meshed, ['sidecar', 'gateway', 'ambient'].includes(c.expected), `${c.name}: meshed`);
    if (c.reason) assert.match(m.reason, c.reason, c.name);
  }
});

test('GIVEN a decision WHEN its evidence is located THEN it points at the deciding label\'s line', () => {
  const g = graphFor({ name: '', ns: { 'istio-injection': 'enabled' }, podLabels: { 'sidecar.istio.io/inject': 'false' }, expected: 'none' });
  const m = g.membershipOf(g.workloads.all[0]!);
  assert.equal(m.evidence?.path, ['spec', 'template', 'metadata', 'labels', 'sidecar.istio.io/inject']);
  assert.is(m.evidence!.object.locate(m.evidence!.path).line, 6, 'located at the label, not the object');
  const ns = graphFor({ name: '', ns: { 'istio-injection': 'enabled' }, expected: 'sidecar' });
  assert.is(ns.membershipOf(ns.workloads.all[0]!).evidence?.object.kind, 'Namespace');
});

test('GIVEN a MeshConfig ingressSelector WHEN a pod carries istio: <selector> THEN it is a gateway', async () => {
  const { meshContextOrThrow } = await import('../../src/mesh/mesh-config.js');
  const context = meshContextOrThrow({ meshConfig: { text: 'ingressSelector: edge\n', file: 'm.yaml' } });
  const gw = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gw', namespace: 'x' }, spec: { template: { metadata: { labels: { istio: 'edge' } }, spec: { containers: [{ name: 'c' }] } } } };
  const g = graphOf([gw], { context });
  assert.is(g.membershipOf(g.workloads.all[0]!).dataplane, 'gateway');
  const plain = graphOf([gw]);
  assert.is(plain.membershipOf(plain.workloads.all[0]!).dataplane, 'unknown');
});

test('GIVEN WorkloadEntries WHEN membership is decided THEN a VM runs the sidecar exactly when istiod gives its endpoints TLS mode istio (getTLSModeFromWorkloadEntry: the tlsMode label first, else a serviceAccount)', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['serviceAccount, no label', { address: '10.0.0.1', serviceAccount: 'vm' }, 'sidecar', /running the Istio sidecar/],
    ['no serviceAccount, no label', { address: '10.0.0.2' }, 'none', /names no serviceAccount/],
    ['empty serviceAccount', { address: '10.0.0.3', serviceAccount: '' }, 'none', /names no serviceAccount/],
    ['label istio, no serviceAccount', { address: '10.0.0.4', labels: { 'security.istio.io/tlsMode': 'istio' } }, 'sidecar', /running the Istio sidecar/],
    ['label disabled, serviceAccount', { address: '10.0.0.5', serviceAccount: 'vm', labels: { 'security.istio.io/tlsMode': 'disabled' } }, 'none', /tlsMode: disabled/],
  ];
  for (const [name, spec, expected, reason] of cases) {
    const g = graphOf([{ apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: 'vm', namespace: 'shop' }, spec }]);
    const m = g.membershipOf(g.workloads.all[0]!);
    assert.is(m.dataplane, expected, name);
    assert.match(m.reason, reason, name);
  }
});

test.run();
