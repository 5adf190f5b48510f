import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { create, toBinary } from '@bufbuild/protobuf';
import { join } from 'node:path';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import type { ManifestObject } from '../../../src/mesh/parse.js';
import { buildProxyView, proxiesOf, type ProxyIdentity, type ProxyView } from '../../../src/mesh/view/index.js';
import { namespacesSeeingDifferently } from '../../../src/mesh/view/push-index.js';
import { markReusable, packOnce, withEncoding } from '../../../src/xds/pack-cache.js';
import { type ResourceKind, type ResourceSet, type XdsResource, packResource, resourceName } from '../../../src/xds/resources.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { parseWorkloadFile, translateProxy, type WorkloadInstance } from '../../../src/xds/translate/index.js';
import { encodeRouteConfiguration } from '../../../src/xds/translate/routes.js';
import { RouteConfigurationSchema } from '../../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { meshOf } from '../../../bench/view/mesh.js';
import { manifests } from '../../mesh/_graph.js';
import { DIST } from './_apps.js';

const KINDS: [ResourceKind, keyof ResourceSet][] = [['cluster', 'clusters'], ['endpoint', 'endpoints'], ['listener', 'listeners'], ['route', 'routes']];

/** `<kind> <name>` → the resource's bytes as toBinary writes them, and as the snapshot packs them. */
function encoded(set: ResourceSet): Map<string, string> {
  const out = new Map<string, string>();
  for (const [kind, key] of KINDS) {
    for (const r of (set[key] ?? []) as readonly XdsResource[]) {
      const plain = Buffer.from(packResource(kind, r).value).toString('hex');
      const packed = Buffer.from(packOnce(kind, r).any.value).toString('hex');
      out.set(`${kind} ${resourceName(kind, r)}`, plain === packed ? plain : `packed ${packed} != toBinary ${plain}`);
    }
  }
  return out;
}

/** The first difference between two views or resource sets, as a path; null when equal. */
function firstDifference(a: unknown, b: unknown, at = ''): string | null {
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${at}: ${JSON.stringify(a)?.slice(0, 200)} != ${JSON.stringify(b)?.slice(0, 200)}`;
  if (a instanceof Map && b instanceof Map) return firstDifference(Object.fromEntries(a), Object.fromEntries(b), at);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
    if (d) return d;
  }
  return null;
}

/** Views are compared without the proxy identity (two sidecars of one namespace share the rest). */
const scoped = (v: ProxyView) => ({ ...v, proxy: undefined });

type Fresh = () => MeshGraph;

/**
 * For each proxy: its view and translation on `shared` (after every proxy before it) against the
 * same on a fresh graph where it is the first proxy computed (nothing shared from another namespace).
 */
function compareWithFresh(shared: MeshGraph, fresh: Fresh, proxies: readonly ProxyIdentity[], workloads: readonly WorkloadInstance[]): number {
  let compared = 0;
  for (const p of proxies) {
    const at = `${p.namespace}/${p.name}`;
    const g = fresh();
    const alone = proxiesOf(g).find((q) => q.namespace === p.namespace && q.name === p.name && q.type === p.type)!;
    const a = buildProxyView(shared, p);
    const b = buildProxyView(g, alone);
    assert.is(firstDifference(scoped(a), scoped(b)), null, `${at}: view`);
    const ta = translateProxy(a, workloads);
    const tb = translateProxy(b, workloads);
    assert.is(firstDifference(encoded(ta), encoded(tb)), null, `${at}: resources`);
    assert.is(createSnapshot(ta).version, createSnapshot(tb).version, `${at}: snapshot version`);
    compared++;
  }
  return compared;
}

function benchWorkloads(n: number): WorkloadInstance[] {
  const out: WorkloadInstance[] = [];
  for (let i = 0; i < n; i++) {
    for (const v of ['v1', 'v2']) out.push({ name: `svc${i}-${v}`, namespace: `ns${i % 10}`, address: `10.0.${i}.${v === 'v1' ? 1 : 2}`, labels: { app: `svc${i}`, version: v }, ports: {} });
  }
  return out;
}

test('GIVEN the 40-service bench mesh WHEN the first sidecar of each namespace is computed after the other namespaces THEN its view and resources equal those computed on a fresh graph, and a host outside both namespaces has the very same routes and virtual host; a host seen alike from its own namespace shares the routes', () => {
  const bodies = meshOf(40);
  const ms = manifests(...bodies);
  const graph = MeshGraph.from(ms);
  const firsts = [...new Map(proxiesOf(graph).filter((p) => p.type === 'sidecar').map((p) => [p.namespace, p])).values()];
  assert.is(firsts.length, 10);
  assert.is(compareWithFresh(graph, () => MeshGraph.from(ms), firsts, benchWorkloads(40)), 10);

  const [v1, v2] = [firsts[1]!, firsts[2]!].map((p) => buildProxyView(graph, p));
  const host = 'svc5.ns5.svc.cluster.local';
  const [r1, r2] = [v1!, v2!].map((v) => v.routes.find((r) => r.host === host)!);
  assert.ok(r1 && r1 === r2, `ns1 and ns2 share the routes of ${host}`);
  const vhostOf = (v: ProxyView) => translateProxy(v, []).routes.find((r) => r.name === '8080')!.virtualHosts.find((vh) => vh.name === `${host}:8080`)!;
  assert.ok(vhostOf(v1!) === vhostOf(v2!), 'and the same VirtualHost message');
  // ns1 finds svc1's DestinationRule as its client-namespace rule, ns2 as the service's: same rules, same routes.
  const ownHost = 'svc1.ns1.svc.cluster.local';
  assert.ok(v1!.routes.find((r) => r.host === ownHost) === v2!.routes.find((r) => r.host === ownHost), "a namespace's own service shares the outsiders' routes when its answers are theirs");
  const ownVhost = (v: ProxyView) => translateProxy(v, []).routes.find((r) => r.name === '8080')!.virtualHosts.find((vh) => vh.name === `${ownHost}:8080`)!;
  const [o1, o2] = [ownVhost(v1!), ownVhost(v2!)];
  assert.equal([o1.domains.includes('svc1'), o2.domains.includes('svc1')], [true, false], 'the short name is a domain in its own namespace only');
  assert.ok(o1 !== o2 && o1.routes[0] === o2.routes[0], 'two virtual hosts, one set of Route messages');
});

test('GIVEN every proxy of all of dist/ with the golden workloads WHEN each is computed after all the others and alone on a fresh graph THEN views, resources and versions are equal', async () => {
  const loaded = await loadInputs([DIST]);
  const graph = MeshGraph.from(loaded.files);
  const workloads = parseWorkloadFile(readFileSync(join(DIST, '../test/golden/xds/workloads.json'), 'utf8'));
  const proxies = proxiesOf(graph);
  for (const p of proxies) translateProxy(buildProxyView(graph, p), workloads);
  assert.ok(compareWithFresh(graph, () => MeshGraph.from(loaded.files), proxies, workloads) >= 10);
});

/**
 * Host `a.app.svc.cluster.local` (subsets v1, v2 in `app`, VirtualService sending to v2) seen from
 * `plain` (an outsider), and three namespaces that see it differently: `own-rule` has a
 * DestinationRule of its own for it (v2 is `track: canary` there), `vs-only` alone gets a second
 * VirtualService (exportTo: [vs-only], 503 fault), and `hidden` is left out of `b`'s exportTo.
 */
function specialMesh(): ManifestObject[] {
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });
  const client = (namespace: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'client', namespace }, spec: { template: { metadata: { labels: { app: 'client' } }, spec: { containers: [{ name: 'c' }] } } } });
  const svc = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'app', ...extra }, spec: { selector: { app: name }, ports: [{ port: 80, name: 'http' }] } });
  return manifests(
    ...['app', 'plain', 'own-rule', 'vs-only', 'hidden', 'vs-home'].map(ns),
    ...['plain', 'own-rule', 'vs-only', 'hidden'].map(client),
    svc('a'), svc('b', { annotations: { 'networking.istio.io/exportTo': 'app,plain,own-rule,vs-only' } }),
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'app' }, spec: { template: { metadata: { labels: { app: 'a', version: 'v1' } }, spec: { containers: [{ name: 'a' }] } } } },
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'a', namespace: 'app' }, spec: { host: 'a', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'a-here', namespace: 'own-rule' }, spec: { host: 'a.app.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } }, subsets: [{ name: 'v2', labels: { track: 'canary' } }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'a', namespace: 'app', creationTimestamp: '2024-01-02T00:00:00Z' }, spec: { hosts: ['a'], http: [{ route: [{ destination: { host: 'a', subset: 'v2' } }, { destination: { host: 'b' } }] }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'a-for-vs-only', namespace: 'vs-home', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { hosts: ['a.app.svc.cluster.local'], exportTo: ['vs-only'], http: [{ fault: { abort: { httpStatus: 503, percentage: { value: 100 } } }, route: [{ destination: { host: 'a.app.svc.cluster.local' } }] }] } },
  );
}

test('GIVEN a host that some namespaces see differently (own DestinationRule, a VirtualService exported to them alone, a service not exported to them) WHEN an outsider namespace is computed first THEN namespacesSeeingDifferently names them, and each of their views differs from the outsider\'s and equals its own fresh computation', () => {
  const ms = specialMesh();
  const graph = MeshGraph.from(ms);
  const host = 'a.app.svc.cluster.local';
  assert.equal([...namespacesSeeingDifferently(graph, host)!].sort(), ['app', 'istio-system', 'own-rule', 'vs-home', 'vs-only']);
  assert.equal([...namespacesSeeingDifferently(graph, 'b.app.svc.cluster.local')!].sort(), ['app', 'istio-system', 'own-rule', 'plain', 'vs-only']);
  assert.is(namespacesSeeingDifferently(graph, '*.example.com'), null, 'a wildcard host is never shared');

  const byNs = new Map(proxiesOf(graph).filter((p) => p.type === 'sidecar').map((p) => [p.namespace, p]));
  const order = ['plain', 'own-rule', 'vs-only', 'hidden'].map((n) => byNs.get(n)!);
  assert.is(compareWithFresh(graph, () => MeshGraph.from(ms), order, []), 4);

  const view = (n: string) => buildProxyView(graph, byNs.get(n)!);
  const routesOf = (v: ProxyView) => v.routes.find((r) => r.host === host)!;
  const plain = routesOf(view('plain'));
  assert.equal(plain.http[0]!.destinations.map((d) => [d.cluster, d.subsetLabels ?? null]), [[`outbound|80|v2|${host}`, { version: 'v2' }], ['outbound|80||b.app.svc.cluster.local', null]]);
  assert.equal(routesOf(view('own-rule')).http[0]!.destinations[0]!.subsetLabels, { track: 'canary' }, 'own-rule reads its own DestinationRule');
  assert.is(view('own-rule').clusters.find((c) => c.name === `outbound|80|v2|${host}`)!.policy.loadBalancer.simple, 'RANDOM');
  assert.is(view('plain').clusters.find((c) => c.name === `outbound|80|v2|${host}`)!.policy.loadBalancer.simple === 'RANDOM', false);
  assert.ok(routesOf(view('vs-only')).http[0]!.fault, 'vs-only gets the VirtualService exported to it');
  assert.is(plain.http[0]!.fault, undefined);
  const hidden = routesOf(view('hidden')).http[0]!.destinations[1]!;
  assert.equal([hidden.known, plain.http[0]!.destinations[1]!.known], [false, true], 'b is not exported to hidden');
  assert.is(view('hidden').clusters.some((c) => c.host === 'b.app.svc.cluster.local'), false);
});

test("GIVEN a DestinationRule exported to its own namespace only (exportTo: ['.']) WHEN a sidecar of another namespace is computed before and after one of the rule's namespace THEN the rule's namespace does not take the outsiders' routes (its answers differ), in either order", () => {
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });
  const client = (namespace: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'client', namespace }, spec: { template: { metadata: { labels: { app: 'client' } }, spec: { containers: [{ name: 'c' }] } } } });
  const ms = manifests(ns('app'), ns('plain'), ns('other'), client('app'), client('plain'), client('other'),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'app' }, spec: { selector: { app: 'a' }, ports: [{ port: 80, name: 'http' }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'a', namespace: 'app' }, spec: { host: 'a', exportTo: ['.'], subsets: [{ name: 'v2', labels: { version: 'v2' } }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'a', namespace: 'app' }, spec: { hosts: ['a'], http: [{ route: [{ destination: { host: 'a', subset: 'v2' } }] }] } });
  const host = 'a.app.svc.cluster.local';
  for (const order of [['plain', 'app', 'other'], ['app', 'plain', 'other']]) {
    const graph = MeshGraph.from(ms);
    const byNs = new Map(proxiesOf(graph).filter((p) => p.type === 'sidecar').map((p) => [p.namespace, p]));
    assert.is(compareWithFresh(graph, () => MeshGraph.from(ms), order.map((n) => byNs.get(n)!), []), 3, order.join(' → '));
    const labels = (n: string) => buildProxyView(graph, byNs.get(n)!).routes.find((r) => r.host === host)!.http[0]!.destinations[0]!.subsetLabels;
    assert.equal([labels('app'), labels('plain'), labels('other')], [{ version: 'v2' }, undefined, undefined], order.join(' → '));
    const routesOf = (n: string) => buildProxyView(graph, byNs.get(n)!).routes.find((r) => r.host === host);
    assert.ok(routesOf('plain') === routesOf('other') && routesOf('app') !== routesOf('plain'), 'outsiders share, app has its own');
  }
});

test('GIVEN two services whose virtual hosts claim one address WHEN sidecars of two namespaces are translated THEN the later virtual host loses the domain in each route configuration, and the shared virtual host message keeps all of its own', () => {
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });
  const client = (namespace: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'client', namespace }, spec: { template: { metadata: { labels: { app: 'client' } }, spec: { containers: [{ name: 'c' }] } } } });
  const se = (name: string) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'ext' }, spec: { hosts: [`${name}.example.com`], addresses: ['240.0.0.1'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' } });
  const ms = manifests(ns('ext'), ns('x'), ns('y'), client('x'), client('y'), se('first'), se('second'));
  const graph = MeshGraph.from(ms);
  const sidecars = proxiesOf(graph).filter((p) => p.type === 'sidecar');
  assert.is(sidecars.length, 2);
  const vhosts = (p: ProxyIdentity) => translateProxy(buildProxyView(graph, p), []).routes.find((r) => r.name === '80')!.virtualHosts;
  for (const p of sidecars) {
    const [first, second] = vhosts(p);
    assert.ok(first!.domains.includes('240.0.0.1') && !second!.domains.includes('240.0.0.1'), `${p.namespace}: the address stays with the first host`);
    assert.ok(second!.domains.includes('second.example.com'));
  }
  assert.is(compareWithFresh(graph, () => MeshGraph.from(ms), sidecars, []), 2);
});

test('GIVEN the comparison used above WHEN two views differ in one destination THEN it names the field (the checks can fail)', () => {
  const graph = MeshGraph.from(specialMesh());
  const byNs = new Map(proxiesOf(graph).filter((p) => p.type === 'sidecar').map((p) => [p.namespace, p]));
  const d = firstDifference(scoped(buildProxyView(graph, byNs.get('plain')!)), scoped(buildProxyView(graph, byNs.get('own-rule')!)));
  assert.ok(d !== null && d.length > 0, 'views of plain and own-rule differ');
  const a = translateProxy(buildProxyView(graph, byNs.get('plain')!), []);
  const b = translateProxy(buildProxyView(graph, byNs.get('own-rule')!), []);
  assert.match(firstDifference(encoded(a), encoded(b)) ?? '', /^\.(cluster|route) /);
});

test('GIVEN sidecar route configurations of several namespaces (shared virtual hosts), one without a name and one with a 200-byte name WHEN spliced from per-virtual-host encodings THEN the bytes equal toBinary; a changed virtual host list changes them', () => {
  const graph = MeshGraph.from(manifests(...meshOf(30)));
  const firsts = [...new Map(proxiesOf(graph).filter((p) => p.type === 'sidecar').map((p) => [p.namespace, p])).values()].slice(0, 4);
  const same = (rc: Parameters<typeof encodeRouteConfiguration>[0]) => Buffer.from(encodeRouteConfiguration(rc)).equals(Buffer.from(toBinary(RouteConfigurationSchema, rc)));
  let checked = 0;
  for (const p of firsts) {
    for (const rc of translateProxy(buildProxyView(graph, p), []).routes) {
      assert.ok(same(rc), `${p.namespace} ${rc.name}`);
      for (const name of ['', 'x'.repeat(200)]) assert.ok(same(create(RouteConfigurationSchema, { ...rc, name })), `${p.namespace} name of ${name.length} bytes`);
      const fewer = create(RouteConfigurationSchema, { ...rc, virtualHosts: rc.virtualHosts.slice(1) });
      assert.not.ok(Buffer.from(encodeRouteConfiguration(fewer)).equals(Buffer.from(toBinary(RouteConfigurationSchema, rc))));
      checked++;
    }
  }
  assert.ok(checked >= 4);
});

test('GIVEN a reusable route configuration given a wrong presized encoding WHEN packed THEN the bytes compared by these tests differ from toBinary (the byte-equality check can fail)', () => {
  const graph = MeshGraph.from(manifests(...meshOf(3)));
  const set = translateProxy(buildProxyView(graph, proxiesOf(graph).find((p) => p.type === 'sidecar')!), [], { cache: false });
  const rc = markReusable(create(RouteConfigurationSchema, set.routes[0]!));
  const right = encodeRouteConfiguration(rc);
  const wrong = Uint8Array.from(right);
  wrong[wrong.length - 1] ^= 1;
  withEncoding(rc, () => ({ size: wrong.length, write: (out, at) => (out.set(wrong, at), at + wrong.length) }));
  const seen = encoded({ clusters: [], endpoints: [], listeners: [], routes: [rc] }).get(`route ${rc.name}`) ?? '';
  assert.ok(seen.startsWith('packed ') && seen.includes(' != toBinary '), seen.slice(0, 80));
});

test.run();
