import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meshContextOrThrow } from '../../src/mesh/mesh-config.js';
import { exportToOf, exportToProblems, exportedTo, importingEntry, parseEgressHost, sidecarEgress } from '../../src/mesh/visibility.js';
import { graphOf } from './_graph.js';

test('GIVEN exportTo values WHEN asked from a namespace THEN ., *, ~ and names follow Istio', () => {
  const table: [string[], string, string, boolean][] = [
    [['*'], 'a', 'b', true],
    [['.'], 'a', 'a', true],
    [['.'], 'a', 'b', false],
    [['~'], 'a', 'a', false],
    [['b', 'c'], 'a', 'c', true],
    [['b', 'c'], 'a', 'a', false],
    [['.', 'b'], 'a', 'a', true],
  ];
  for (const [values, owner, from, expected] of table) assert.is(exportedTo(values, owner, from), expected, `${values} ${owner}→${from}`);
});

test('GIVEN objects of each kind WHEN their exportTo is read THEN spec, annotation or the MeshConfig default per kind applies', () => {
  const context = meshContextOrThrow({ meshConfig: { text: 'defaultServiceExportTo: ["."]\ndefaultVirtualServiceExportTo: ["~"]\n', file: 'm.yaml' } });
  const g = graphOf([
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'n1' }, spec: { ports: [{ port: 80, name: 'http' }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b', namespace: 'n1', annotations: { 'networking.istio.io/exportTo': 'n2, n3' } }, spec: { ports: [{ port: 80, name: 'http' }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'v', namespace: 'n1' }, spec: { hosts: ['a'] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd', namespace: 'n1' }, spec: { host: 'a', exportTo: ['n2'] } },
  ], { context });
  const mc = g.meshConfig;
  const [a, b, v, d] = g.objects;
  assert.equal(exportToOf(a!, mc), { values: ['.'], source: 'mesh-default', path: null });
  assert.equal(exportToOf(b!, mc), { values: ['n2', 'n3'], source: 'annotation', path: ['metadata', 'annotations', 'networking.istio.io/exportTo'] });
  assert.equal(exportToOf(v!, mc).values, ['~']);
  assert.equal(exportToOf(d!, mc), { values: ['n2'], source: 'spec', path: ['spec', 'exportTo'] });
  assert.is(g.servicesForHost('a.n1.svc.cluster.local', 'n2').length, 0, 'the mesh default "." hides a from n2');
  assert.is(g.servicesForHost('a.n1.svc.cluster.local', 'n1').length, 1);
  assert.is(g.servicesForHost('b.n1.svc.cluster.local', 'n3').length, 1);
  assert.is(g.virtualServicesFor('a.n1.svc.cluster.local', 'mesh', 'n1').length, 0, 'defaultVirtualServiceExportTo ~ hides it');
});

test('GIVEN malformed exportTo WHEN validated THEN each problem names the value and a fix', () => {
  const table: [string[], RegExp | null][] = [
    [['.', 'prod'], null],
    // Istio's webhook admits capitals (labels.IsDNS1123Label); references/export-to-namespace-not-found reports them.
    [['Prod'], null],
    [['prod_ns'], /"prod_ns" is not/],
    [['-prod'], /"-prod" is not/],
    [['~', 'a'], /"~" \(no namespace\) cannot be combined/],
    [['*', 'a'], /"\*" \(every namespace\) cannot be combined/],
    [['.', 'ns'], /twice/],
  ];
  for (const [values, message] of table) {
    const g = graphOf([{ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'v', namespace: 'ns' }, spec: { hosts: ['a'], exportTo: values } }]);
    const o = g.objects[0]!;
    const problems = exportToProblems(o, exportToOf(o, g.meshConfig));
    if (message === null) assert.equal(problems, [], String(values));
    else {
      assert.ok(problems.length > 0, String(values));
      assert.match(problems[0]!.message, message);
      assert.match(problems[0]!.message, /Fix:/);
      assert.is(problems[0]!.path[0], 'spec');
    }
  }
});

test('GIVEN Sidecar egress hosts in every form WHEN parsed THEN namespace and host (letter case kept) are resolved or the error teaches', () => {
  const ok: [string, string, string][] = [
    ['./*', 'shop', '*'],
    ['./reviews.shop.svc.cluster.local', 'shop', 'reviews.shop.svc.cluster.local'],
    ['*/api.example.com', '*', 'api.example.com'],
    ['istio-system/*', 'istio-system', '*'],
    ['*/*.example.com', '*', '*.example.com'],
    ['prod/API.Example.com', 'prod', 'API.Example.com'],
  ];
  for (const [entry, ns, host] of ok) {
    const p = parseEgressHost(entry, 'shop');
    assert.ok(!('error' in p), entry);
    if (!('error' in p)) assert.equal([p.namespace, p.host, p.excluded], [ns, host, false], entry);
  }
  const bad: [string, RegExp][] = [
    ['reviews', /exactly one "\/"/],
    ['a/b/c', /exactly one "\/"/],
    ['/reviews', /empty namespace/],
    ['Prod/x', /"Prod" is not/],
    ['./', /empty host/],
    ['*/foo.*.com', /not a DNS name/],
    ['*/a b', /not a DNS name/],
    ['~~/x.example.com', /"~" is not "\*", "\.", or a namespace name \(after the "~" that excludes\)/],
    ['~Prod/*', /"Prod" is not .*after the "~"/],
    ['~ns/', /empty host; use "~ns\/\*"/],
  ];
  for (const [entry, message] of bad) {
    const p = parseEgressHost(entry, 'shop');
    assert.ok('error' in p, entry);
    if ('error' in p) {
      assert.match(p.error, message, entry);
      assert.match(p.error, /Fix: write "namespace\/host"/);
    }
  }
});

test('GIVEN a Sidecar WHEN its egress is read THEN imports select by namespace and host, malformed entries are problems at their path', () => {
  const g = graphOf([{
    apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'shop' },
    spec: { egress: [{ hosts: ['./*', 'istio-system/*', '*/api.example.com', 'bad', 42] }, { port: { number: 9080 }, hosts: ['~/*'] }] },
  }]);
  const { listeners, problems } = sidecarEgress(g.objects[0]!);
  assert.is(listeners.length, 2);
  assert.is(listeners[1]!.port, 9080);
  assert.equal(problems.map((p) => p.path), [['spec', 'egress', 0, 'hosts', 3], ['spec', 'egress', 0, 'hosts', 4]]);
  const hosts = listeners[0]!.hosts;
  assert.is(importingEntry(hosts, 'shop', 'reviews.shop.svc.cluster.local')?.entry, './*');
  assert.is(importingEntry(hosts, 'istio-system', 'istiod.istio-system.svc.cluster.local')?.entry, 'istio-system/*');
  assert.is(importingEntry(hosts, 'ext', 'api.example.com')?.entry, '*/api.example.com');
  assert.is(importingEntry(hosts, 'other', 'reviews.other.svc.cluster.local'), undefined);
  assert.is(importingEntry(listeners[1]!.hosts, 'shop', 'reviews.shop.svc.cluster.local'), undefined, '~/* imports nothing');
});

// istiod `excludePrefix` (pilot/pkg/model/sidecar.go convertIstioListenerToWrapper, Istio 1.31): a `~` before the
// namespace excludes; a bare `~` stands for `*`. Validation (ValidateNamespaceSlashWildcardHostname) trims one `~`.
test('GIVEN ~-prefixed Sidecar egress hosts WHEN parsed THEN they are exclusions of that namespace, a bare ~ of every namespace', () => {
  const ok: [string, string, string][] = [
    ['~/*', '*', '*'],
    ['~/api.example.com', '*', 'api.example.com'],
    ['~*/api.example.com', '*', 'api.example.com'],
    ['~./*', 'shop', '*'],
    ['~legacy/*', 'legacy', '*'],
    ['~prod/*.Example.com', 'prod', '*.Example.com'],
  ];
  for (const [entry, ns, host] of ok) {
    const p = parseEgressHost(entry, 'shop');
    assert.ok(!('error' in p), `${entry}: ${'error' in p ? p.error : ''}`);
    if (!('error' in p)) assert.equal([p.namespace, p.host, p.excluded], [ns, host, true], entry);
  }
});

test('GIVEN "*/*" with exclusions WHEN imports are asked THEN an excluded namespace or host is not imported, everything else is', () => {
  const g = graphOf([{
    apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'shop' },
    spec: { egress: [{ hosts: ['*/*', '~legacy/*', '~/api.example.com', '~./*.internal.example.com'] }] },
  }]);
  const { listeners, problems } = sidecarEgress(g.objects[0]!);
  assert.equal(problems, []);
  const hosts = listeners[0]!.hosts;
  assert.is(importingEntry(hosts, 'prod', 'reviews.prod.svc.cluster.local')?.entry, '*/*');
  assert.is(importingEntry(hosts, 'legacy', 'reviews.legacy.svc.cluster.local'), undefined, '~legacy/* drops the whole namespace');
  assert.is(importingEntry(hosts, 'prod', 'api.example.com'), undefined, '~/api.example.com drops the host in every namespace');
  assert.is(importingEntry(hosts, 'ext', 'API.example.com')?.entry, '*/*', 'host names compare as written (istiod hostClassification.Excluded: SubsetOf), so ~/api.example.com leaves API.example.com imported');
  assert.is(importingEntry(hosts, 'prod', 'www.example.com')?.entry, '*/*');
  assert.is(importingEntry(hosts, 'shop', 'db.internal.example.com'), undefined, '~./*.internal… drops it in the Sidecar\'s namespace');
  assert.is(importingEntry(hosts, 'prod', 'db.internal.example.com')?.entry, '*/*', '… and only there');
  // Istio's Excluded is `host.SubsetOf(excluded)`: a wider wildcard host is not covered by a narrower exclusion.
  assert.is(importingEntry(hosts, 'shop', '*.example.com')?.entry, '*/*');
});

test('GIVEN an exclusion in one egress listener WHEN another listener imports the host THEN the host is still imported (istiod unions listeners)', () => {
  const g = graphOf([{
    apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'shop' },
    spec: { egress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts: ['*/*', '~legacy/*'] }, { hosts: ['legacy/*'] }] },
  }]);
  const all = sidecarEgress(g.objects[0]!).listeners.flatMap((l) => l.hosts);
  assert.is(importingEntry(all, 'legacy', 'old.legacy.svc.cluster.local')?.entry, 'legacy/*');
  assert.is(importingEntry(all.filter((e) => e.listener === 0), 'legacy', 'old.legacy.svc.cluster.local'), undefined);
});

test.run();
