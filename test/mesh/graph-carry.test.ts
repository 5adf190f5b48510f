import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshGraph } from '../../src/mesh/graph.js';
import { keepUnchanged, movedRole } from '../../src/mesh/graph-carry.js';
import { graphOfYaml } from '../xds/translate/_carry.js';

const ns = (name: string, labels = '{ istio-injection: enabled }') => `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${name}, labels: ${labels} }\n`;
const svc = (name: string) => `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: shop }\nspec:\n  selector: { app: ${name} }\n  ports:\n  - { name: http, port: 80 }\n`;
const deploy = (name: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${name}, namespace: shop }\nspec:\n  template:\n    metadata: { labels: { app: ${name} } }\n    spec: { containers: [{ name: app }] }\n`;
const vs = (name: string) => `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: ${name}, namespace: shop }\nspec:\n  hosts: [${name}]\n  http:\n  - route: [{ destination: { host: ${name} } }]\n    timeout: 2s\n`;
const we = (name: string) => `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: { name: ${name}, namespace: shop }\nspec: { address: 10.0.0.9, labels: { app: vm } }\n`;
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

test.run();
