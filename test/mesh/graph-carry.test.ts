import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshGraph, type GraphOptions } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import { keepUnchanged, movedRole } from '../../src/mesh/graph-carry.js';
import { differences, graphOfYaml, packedMesh } from '../xds/translate/_carry.js';
import { buildProxyView, proxiesOf } from '../../src/mesh/view/index.js';

const ns = (name: string, labels = '{ istio-injection: enabled }') => `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${name}, labels: ${labels} }\n`;
const svc = (name: string) => `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: shop }\nspec:\n  selector: { app: ${name} }\n  ports:\n  - { name: http, port: 80 }\n`;
const deploy = (name: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${name}, namespace: shop }\nspec:\n  template:\n    metadata: { labels: { app: ${name} } }\n    spec: { containers: [{ name: app }] }\n`;
const vs = (name: string) => `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: ${name}, namespace: shop }\nspec:\n  hosts: [${name}]\n  http:\n  - route: [{ destination: { host: ${name} } }]\n    timeout: 2s\n`;
const we = (name: string) => `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: { name: ${name}, namespace: shop }\nspec: { address: 10.0.0.9, labels: { app: vm } }\n`;
const dr = (name: string) => `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: ${name}, namespace: shop }\nspec:\n  host: ${name}\n  trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } }\n`;
const docs = (...d: string[]) => d.join('---\n');

const names = (g: MeshGraph | undefined, which: 'changed' | 'moved'): string[] => {
  const base = g?.viewBase();
  if (!base) return [];
  const list = which === 'changed' ? base.changed : base.moved.map((m) => m.next);
  return list.map((o) => `${o.kind} ${o.name}`).sort();
};

test('GIVEN one file WHEN a Deployment is inserted at the top THEN every other object moved (new objects at their new document and line, content unchanged), the Deployment changed, and the view base is kept', async () => {
  const g1 = await graphOfYaml(docs(ns('shop'), svc('a'), deploy('a'), svc('b')));
  const g2 = await graphOfYaml(docs(ns('shop'), deploy('new'), svc('a'), deploy('a'), svc('b')), { previous: g1 });
  assert.equal(g2.carried, { kept: 1, changed: 1 + 2 * 3, moved: 2 * 3 });
  assert.equal(names(g2, 'changed'), ['Deployment new']);
  assert.equal(names(g2, 'moved'), ['Deployment a', 'Service a', 'Service b']);
  const a1 = g1.get('Service', 'shop', 'a')!;
  const a2 = g2.get('Service', 'shop', 'a')!;
  assert.ok(a1 !== a2, 'a moved object is the new input\'s');
  assert.equal([a2.docIndex, a2.location.line - a1.location.line], [a1.docIndex + 1, 8], 'at its new document and line');
  assert.is(g2.get('Namespace', '', 'shop'), g1.get('Namespace', '', 'shop'), 'the object before the insertion is kept');
  assert.ok(g2.services.all.find((s) => s.host.startsWith('a.'))!.object === a2, 'the service index holds the moved Service');
});

test('GIVEN a List WHEN an item is inserted first THEN the other items moved (their document text changed, their bodies did not) to the next item index', async () => {
  const list = (...items: string[]) => `apiVersion: v1\nkind: List\nitems:\n${items.map((i) => `- ${i.trimEnd().split('\n').join('\n  ')}\n`).join('')}`;
  const g1 = await graphOfYaml(docs(ns('shop'), list(svc('a'), deploy('a'))));
  const g2 = await graphOfYaml(docs(ns('shop'), list(deploy('b'), svc('a'), deploy('a'))), { previous: g1 });
  assert.equal(names(g2, 'moved'), ['Deployment a', 'Service a']);
  assert.equal(names(g2, 'changed'), ['Deployment b']);
  assert.is(g2.get('Service', 'shop', 'a')!.itemIndex, 1);
});

test('GIVEN an object WHEN it is restyled (flow mapping) THEN it moved; WHEN a field of it changes as well THEN it changed (both versions)', async () => {
  const g1 = await graphOfYaml(docs(ns('shop'), svc('a')));
  const flow = `apiVersion: v1\nkind: Service\nmetadata: { name: a, namespace: shop }\nspec: { selector: { app: a }, ports: [{ name: http, port: 80 }] }\n`;
  const g2 = await graphOfYaml(docs(ns('shop'), flow), { previous: g1 });
  assert.equal(names(g2, 'moved'), ['Service a']);
  const g3 = await graphOfYaml(docs(ns('shop'), flow.replace('port: 80', 'port: 81')), { previous: g1 });
  assert.equal(g3.carried, { kept: 1, changed: 2, moved: 0 });
  assert.equal(g3.viewBase()?.changed.map((o) => `${o.kind} ${o.name} ${o.location.line}`), ['Service a 5', 'Service a 5'], 'an edited Service keeps the view base, both versions changed');
  assert.ok(g3.services !== g1.services && g3.services.all.find((s) => s.host.startsWith('a.'))!.ports[0]!.number === 81, 'the service index is rebuilt, with the edited Service');
});

test('GIVEN keepUnchanged WHEN two predecessors share a key (a duplicate) THEN each stands in or moves at most once, and an object without source text never counts as unchanged or moved', async () => {
  const g1 = await graphOfYaml(docs(ns('shop'), svc('a'), svc('a')));
  const g2 = await graphOfYaml(docs(ns('shop'), deploy('x'), svc('a'), svc('a')));
  const kept = keepUnchanged(g2.objects, g1.objects);
  assert.is(kept.moved.length, 2);
  assert.is(new Set(kept.moved.map((m) => m.previous)).size, 2, 'two predecessors, each once');
  const spanless = g2.objects.map((o) => ({ ...o, span: undefined }));
  const none = keepUnchanged(spanless, g1.objects);
  assert.equal([none.kept, none.moved.length], [0, 0]);
});

test('GIVEN a moved WorkloadEntry (a ServiceEntry endpoint origin) THEN the view base is kept with it changed (both versions); GIVEN a moved Namespace THEN the view base is kept and memberships point at the moved Namespace', async () => {
  const g1 = await graphOfYaml(docs(ns('shop'), we('vm'), svc('a'), deploy('a')));
  const g2 = await graphOfYaml(docs(ns('shop'), deploy('x'), we('vm'), svc('a'), deploy('a')), { previous: g1 });
  assert.equal(g2.viewBase()?.changed.filter((o) => o.kind === 'WorkloadEntry').map((o) => o.location.line), [g2.get('WorkloadEntry', 'shop', 'vm')!.location.line, g1.get('WorkloadEntry', 'shop', 'vm')!.location.line]);
  const h1 = await graphOfYaml(docs(svc('a'), deploy('a'), ns('shop')));
  const w1 = h1.workloads.all.find((w) => w.name === 'a')!;
  assert.is(h1.membershipOf(w1).evidence!.object, h1.get('Namespace', '', 'shop'));
  const h2 = await graphOfYaml(docs(svc('a'), deploy('a'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n'), { previous: h1 });
  assert.ok(h2.viewBase(), 'a moved Namespace keeps the view base');
  const w2 = h2.workloads.all.find((w) => w.name === 'a')!;
  assert.is(w2, w1, 'the kept Deployment is the same workload');
  assert.is(h2.membershipOf(w2).evidence!.object, h2.get('Namespace', '', 'shop'), 'its membership evidence is the moved Namespace (restyled: its labels at other lines)');
  assert.ok(h2.get('Namespace', '', 'shop') !== h1.get('Namespace', '', 'shop'));
});

test('GIVEN movedRole THEN routing objects and WorkloadEntries count as changed, services rebuild their index and touch their hosts, pod workloads and policies rebuild their index, Namespaces their memberships, other kinds nothing', async () => {
  const g = await graphOfYaml(docs(ns('shop'), svc('a'), deploy('a'), vs('a'), we('vm'),
    'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: default, namespace: shop }\nspec: { mtls: { mode: STRICT } }\n',
    'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm, namespace: shop }\ndata: { a: b }\n',
    'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w, namespace: shop }\n'));
  assert.equal(g.objects.map((o) => `${o.kind}:${movedRole(o)}`), ['Namespace:namespaces', 'Service:services', 'Deployment:workloads', 'VirtualService:changed', 'WorkloadEntry:changed', 'PeerAuthentication:policies', 'ConfigMap:none', 'Widget:none']);
});

test('GIVEN a position-free reload (xds serve) WHEN a Deployment is inserted at the top THEN the moved Service, VirtualService and DestinationRule are the predecessor\'s objects (kept: the view shares their routes and clusters), the moved Deployment still moves, and every proxy translates to the bytes of a from-scratch graph', async () => {
  const before = docs(ns('shop'), svc('a'), deploy('a'), vs('a'), dr('a'), svc('b'), deploy('b'));
  const after = docs(ns('shop'), deploy('new'), svc('a'), deploy('a'), vs('a'), dr('a'), svc('b'), deploy('b'));
  const g1 = await graphOfYaml(before, { carryOver: true });
  const sidecar = (g: MeshGraph) => proxiesOf(g).find((p) => p.name === 'b')!;
  const v1 = buildProxyView(g1, sidecar(g1));
  const free = await graphOfYaml(after, { previous: g1, positionFree: true });
  assert.equal(free.carried, { kept: 5, changed: 1 + 2 * 2, moved: 2 * 2 });
  assert.equal(names(free, 'changed'), ['Deployment new']);
  assert.equal(names(free, 'moved'), ['Deployment a', 'Deployment b']);
  for (const [kind, name] of [['Service', 'a'], ['VirtualService', 'a'], ['DestinationRule', 'a'], ['Service', 'b']] as const) {
    assert.is(free.get(kind, 'shop', name), g1.get(kind, 'shop', name), `${kind} ${name} is the predecessor's object`);
  }
  const v2 = buildProxyView(free, sidecar(free));
  const routes = (v: typeof v1) => v.routes.find((r) => r.host.startsWith('a.'))!;
  assert.is(routes(v2), routes(v1), 'the route view of the moved VirtualService is shared, not rebuilt');
  assert.is(v2.clusters.find((c) => c.host.startsWith('a.')), v1.clusters.find((c) => c.host.startsWith('a.')), 'so is the cluster view of the moved DestinationRule');
  assert.equal(differences(packedMesh(free, []), packedMesh(await graphOfYaml(after), [], false)), [], 'byte-equal to a from-scratch translation');
  // Exact positions (the default): the moved objects are the new input's, at their new lines.
  const exact = await graphOfYaml(after, { previous: g1 });
  assert.ok(exact.get('VirtualService', 'shop', 'a') !== g1.get('VirtualService', 'shop', 'a'));
  assert.equal(names(exact, 'changed'), ['Deployment new', 'DestinationRule a', 'DestinationRule a', 'VirtualService a', 'VirtualService a']);
});

test('GIVEN a position-free reload WHEN a moved object also changed, or moved to another file, THEN it is not the predecessor\'s', async () => {
  const g1 = await graphOfYaml(docs(ns('shop'), svc('a'), vs('a')), { carryOver: true });
  const edited = await graphOfYaml(docs(ns('shop'), deploy('new'), svc('a'), vs('a').replace('timeout: 2s', 'timeout: 3s')), { previous: g1, positionFree: true });
  assert.ok(edited.get('VirtualService', 'shop', 'a') !== g1.get('VirtualService', 'shop', 'a'), 'an edit is an edit');
  assert.is(edited.get('Service', 'shop', 'a'), g1.get('Service', 'shop', 'a'));
  assert.equal(names(edited, 'changed'), ['Deployment new', 'VirtualService a', 'VirtualService a']);
  // The same VirtualService moved to another file: its origins name another file, so it is the new input's.
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-carry-files-'));
  try {
    const graphOfFiles = async (files: Record<string, string>, opts: GraphOptions) => {
      for (const f of ['a.yaml', 'b.yaml']) rmSync(join(dir, f), { force: true });
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
      return MeshGraph.from((await loadInputs(Object.keys(files), { cwd: dir })).files, opts);
    };
    const h1 = await graphOfFiles({ 'a.yaml': docs(ns('shop'), svc('a'), vs('a')), 'b.yaml': docs(svc('b')) }, { carryOver: true });
    const h2 = await graphOfFiles({ 'a.yaml': docs(ns('shop'), svc('a')), 'b.yaml': docs(svc('b'), vs('a')) }, { previous: h1, positionFree: true });
    assert.ok(h2.get('VirtualService', 'shop', 'a') !== h1.get('VirtualService', 'shop', 'a'), 'moved to another file: the new input\'s');
    assert.is(h2.get('VirtualService', 'shop', 'a')!.file, 'b.yaml');
    assert.is(h2.get('Service', 'shop', 'b'), h1.get('Service', 'shop', 'b'), 'an object that did not move is kept as ever');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
