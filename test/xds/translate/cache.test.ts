import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { buildProxyView, proxiesOf, type ProxyIdentity } from '../../../src/mesh/view/index.js';
import { isReusable, packOnce } from '../../../src/xds/pack-cache.js';
import { type ResourceKind, type ResourceSet, type XdsResource, packResource, resourceName } from '../../../src/xds/resources.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { translationCacheBuilds } from '../../../src/xds/translate/cache.js';
import { parseWorkloadFile, translateProxy, type WorkloadInstance } from '../../../src/xds/translate/index.js';
import { meshOf } from '../../../bench/view/mesh.js';
import { manifests } from '../../mesh/_graph.js';
import { DIST } from './_apps.js';

const KINDS: [ResourceKind, keyof ResourceSet][] = [['cluster', 'clusters'], ['endpoint', 'endpoints'], ['listener', 'listeners'], ['route', 'routes']];

/** Each resource's name and encoded bytes, `<kind> <name>` → hex, in the set's order. */
function encoded(set: ResourceSet): Map<string, string> {
  const out = new Map<string, string>();
  for (const [kind, key] of KINDS) {
    for (const r of (set[key] ?? []) as readonly XdsResource[]) out.set(`${kind} ${resourceName(kind, r)}`, Buffer.from(packResource(kind, r).value).toString('hex'));
  }
  return out;
}

/** The `<kind> <name>`s whose bytes differ between two sets, or that only one holds; [] when equal in content and order. */
function differences(a: ResourceSet, b: ResourceSet): string[] {
  const ea = encoded(a);
  const eb = encoded(b);
  const names = [...new Set([...ea.keys(), ...eb.keys()])];
  const diff = names.filter((n) => ea.get(n) !== eb.get(n));
  if (diff.length === 0 && JSON.stringify([...ea.keys()]) !== JSON.stringify([...eb.keys()])) return ['(order)'];
  return diff;
}

function benchGraph(bodies: Record<string, unknown>[]): MeshGraph {
  return MeshGraph.from(manifests(...bodies));
}

function benchWorkloads(n: number): WorkloadInstance[] {
  const out: WorkloadInstance[] = [];
  for (let i = 0; i < n; i++) {
    for (const v of ['v1', 'v2']) out.push({ name: `svc${i}-${v}`, namespace: `ns${i % 10}`, address: `10.0.${i}.${v === 'v1' ? 1 : 2}`, labels: { app: `svc${i}`, version: v }, ports: {} });
  }
  return out;
}

test('GIVEN two resource sets that differ in one route weight WHEN compared THEN the comparison names that route configuration (the checker can fail)', () => {
  const g = benchGraph(meshOf(3));
  const sidecar = proxiesOf(g).find((p) => p.type === 'sidecar')!;
  const fresh = translateProxy(buildProxyView(g, sidecar), [], { cache: false });
  const edited = translateProxy(buildProxyView(g, sidecar), [], { cache: false });
  const action = edited.routes[0]!.virtualHosts[0]!.routes[1]!.action;
  assert.is(action.case, 'route');
  const spec = action.case === 'route' ? action.value.clusterSpecifier : undefined;
  assert.is(spec?.case, 'weightedClusters');
  if (spec?.case === 'weightedClusters') spec.value.clusters[0]!.weight = 50;
  assert.equal(differences(fresh, edited), [`route ${fresh.routes[0]!.name}`]);
  assert.equal(differences(fresh, fresh), []);
});

test('GIVEN every proxy of all of dist/ with the golden workloads WHEN translated with the cache (twice) and without THEN every resource is byte-equal, sidecar and proxyless, and so are the snapshot versions', async () => {
  const loaded = await loadInputs([DIST]);
  const graph = MeshGraph.from(loaded.files);
  const workloads = parseWorkloadFile(readFileSync(join(DIST, '../test/golden/xds/workloads.json'), 'utf8'));
  const proxies = proxiesOf(graph);
  assert.ok(proxies.length >= 10, `expected the proxies of every app, found ${proxies.length}`);
  let compared = 0;
  for (const proxyless of [false, true]) {
    for (const round of [1, 2]) {
      for (const p of proxies) {
        const at = `${p.namespace}/${p.name}${proxyless ? ' (proxyless)' : ''}, round ${round}`;
        const cached = translateProxy(buildProxyView(graph, p), workloads, { proxyless });
        const fresh = translateProxy(buildProxyView(graph, p), workloads, { proxyless, cache: false });
        assert.equal(differences(cached, fresh), [], at);
        assert.is(createSnapshot(cached).version, createSnapshot(fresh).version, at);
        compared += encoded(cached).size;
      }
    }
  }
  assert.ok(compared > 500, `only ${compared} resources compared`);
});

test('GIVEN the 100-service bench mesh WHEN a sidecar of each namespace and the ingress gateway are translated with and without the cache THEN byte-equal; a second sidecar of a namespace reuses every outbound cluster, load assignment and route configuration (same objects, nothing rebuilt)', () => {
  const graph = benchGraph(meshOf(100));
  const workloads = benchWorkloads(100);
  const proxies = proxiesOf(graph);
  const picked: ProxyIdentity[] = [proxies.find((p) => p.type === 'router')!];
  for (let i = 0; i < 10; i++) picked.push(...proxies.filter((p) => p.type === 'sidecar' && p.namespace === `ns${i}`).slice(0, 2));
  assert.is(picked.length, 21);
  for (const p of picked) {
    const cached = translateProxy(buildProxyView(graph, p), workloads);
    assert.equal(differences(cached, translateProxy(buildProxyView(graph, p), workloads, { cache: false })), [], `${p.namespace}/${p.name}`);
  }

  const [first, second] = proxies.filter((p) => p.type === 'sidecar' && p.namespace === 'ns3');
  const a = translateProxy(buildProxyView(graph, first!), workloads);
  const before = translationCacheBuilds();
  const b = translateProxy(buildProxyView(graph, second!), workloads);
  assert.equal(translationCacheBuilds(), before, 'the second sidecar built nothing');
  const outbound = (set: ResourceSet) => set.clusters.filter((c) => c.name.startsWith('outbound|'));
  assert.ok(outbound(a).length >= 200, `expected the outbound clusters of 100 services, got ${outbound(a).length}`);
  outbound(a).forEach((c, i) => assert.ok(outbound(b)[i] === c && isReusable(c), `cluster ${c.name} is shared`));
  a.endpoints.forEach((e, i) => assert.ok(b.endpoints[i] === e, `assignment ${e.clusterName} is shared`));
  a.routes.forEach((r, i) => assert.ok(b.routes[i] === r, `route configuration ${r.name} is shared`));
  assert.ok(a.listeners[0] !== b.listeners[0], 'listeners are built per proxy (callers rewrite their addresses)');
  const anyA = packOnce('cluster', outbound(a)[0]!).any;
  assert.ok(packOnce('cluster', outbound(b)[0]!).any === anyA, 'a shared cluster is packed once');
  // The namespace's shared lists come as they are: their type snapshots are made once.
  assert.ok(a.endpoints === b.endpoints && a.routes === b.routes, 'the same load-assignment and route-configuration lists');
  const [sa, sb] = [createSnapshot(a), createSnapshot(b)];
  assert.ok(sa.types.endpoint === sb.types.endpoint && sa.types.route === sb.types.route, 'one type snapshot per shared list');
  assert.ok(sa.types.listener !== sb.types.listener, 'listeners are per proxy');
  assert.equal(createSnapshot({ ...b, endpoints: [...b.endpoints], routes: [...b.routes] }).version, sb.version, 'a copy of the lists (no sharing) gives the same versions');
});

test('GIVEN one DestinationRule changed (a new graph) WHEN a sidecar is translated with the cache THEN exactly the clusters of that host change, and the result equals a fresh translation (nothing stale)', () => {
  const bodies = meshOf(20);
  const changed = bodies.map((b) => (b.kind === 'DestinationRule' && (b.metadata as { name: string }).name === 'svc7'
    ? { ...b, spec: { ...(b.spec as object), trafficPolicy: { outlierDetection: { consecutive5xxErrors: 9 } } } } : b));
  const workloads = benchWorkloads(20);
  const before = benchGraph(bodies);
  const after = benchGraph(changed);
  const proxyOf = (g: MeshGraph) => proxiesOf(g).find((p) => p.type === 'sidecar' && p.namespace === 'ns0')!;
  const a = translateProxy(buildProxyView(before, proxyOf(before)), workloads);
  const b = translateProxy(buildProxyView(after, proxyOf(after)), workloads);
  const diff = differences(a, b);
  assert.ok(diff.length > 0, 'the change shows');
  assert.equal(diff.filter((d) => !/^cluster outbound\|8080\|[^|]*\|svc7\.ns7\.svc\.cluster\.local$/.test(d)), [], `only svc7's clusters change: ${diff.join(', ')}`);
  assert.equal(differences(b, translateProxy(buildProxyView(after, proxyOf(after)), workloads, { cache: false })), []);
  assert.is.not(createSnapshot(a).types.cluster.version, createSnapshot(b).types.cluster.version);
  assert.is(createSnapshot(a).types.route.version, createSnapshot(b).types.route.version);
});

test('GIVEN a new workloads list with one more svc4 v2 instance WHEN a sidecar is translated with the cache THEN exactly the load assignments selecting it change, and the result equals a fresh translation', () => {
  const graph = benchGraph(meshOf(20));
  const sidecar = proxiesOf(graph).find((p) => p.type === 'sidecar' && p.namespace === 'ns1')!;
  const workloads = benchWorkloads(20);
  const more = [...workloads, { name: 'svc4-v2-b', namespace: 'ns4', address: '10.9.9.9', labels: { app: 'svc4', version: 'v2' }, ports: {} }];
  const a = translateProxy(buildProxyView(graph, sidecar), workloads);
  const b = translateProxy(buildProxyView(graph, sidecar), more);
  const diff = differences(a, b);
  assert.ok(diff.includes('endpoint outbound|8080|v2|svc4.ns4.svc.cluster.local'), diff.join(', '));
  assert.equal(diff.filter((d) => !/^endpoint outbound\|8080\|(v2)?\|svc4\.ns4\.svc\.cluster\.local$/.test(d)), [], diff.join(', '));
  assert.equal(differences(b, translateProxy(buildProxyView(graph, sidecar), more, { cache: false })), []);
  assert.equal(differences(a, translateProxy(buildProxyView(graph, sidecar), workloads, { cache: false })), [], 'the old list still gets its own assignments');
});

test('GIVEN a resource that is not shared WHEN snapshotted, edited in a nested field and snapshotted again THEN the version follows the edit (only shared resources are packed once)', () => {
  const graph = benchGraph(meshOf(3));
  const set = translateProxy(buildProxyView(graph, proxiesOf(graph).find((p) => p.type === 'sidecar')!), [], { cache: false });
  assert.not.ok(isReusable(set.clusters[0]!));
  const v1 = createSnapshot(set).types.cluster.version;
  set.clusters[0]!.circuitBreakers!.thresholds[0]!.maxConnections = 7;
  assert.is.not(createSnapshot(set).types.cluster.version, v1);
});

test('GIVEN a snapshot of shared and fresh resources WHEN its type versions are recomputed the reference way (sha256 over <name> NUL <Any encoding> NUL in name order, first 16 hex digits) THEN they are equal: packing once did not change versions', () => {
  const graph = benchGraph(meshOf(30));
  const sidecars = proxiesOf(graph).filter((p) => p.type === 'sidecar' && p.namespace === 'ns2');
  for (const p of sidecars.slice(0, 2)) {
    const snap = createSnapshot(translateProxy(buildProxyView(graph, p), benchWorkloads(30)));
    for (const [kind, t] of Object.entries(snap.types)) {
      const h = createHash('sha256');
      for (const name of [...t.resources.keys()].sort()) h.update(name).update('\0').update(toBinary(AnySchema, t.resources.get(name)!)).update('\0');
      assert.is(t.version, h.digest('hex').slice(0, 16), `${p.name} ${kind}`);
    }
  }
});

test('GIVEN a graph and a workloads list that nobody holds any more WHEN garbage is collected THEN the clusters, assignments and route configurations cached for them go too (the cache is bounded by what is alive)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const refs = (() => {
    const graph = benchGraph(meshOf(5));
    const set = translateProxy(buildProxyView(graph, proxiesOf(graph).find((p) => p.type === 'sidecar')!), benchWorkloads(5));
    createSnapshot(set);
    return [set.clusters[0]!, set.endpoints[0]!, set.routes[0]!].map((m) => { assert.ok(isReusable(m)); return new WeakRef(m); });
  })();
  for (let i = 0; i < 10 && refs.some((r) => r.deref() !== undefined); i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  assert.equal(refs.map((r) => r.deref() === undefined), [true, true, true]);
});

test.run();
