import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkSnapshot } from '../../src/xds/snapshot-check.js';
import { SnapshotCache, SnapshotInconsistentError } from '../../src/xds/snapshot-cache.js';
import { SnapshotError, createSnapshot } from '../../src/xds/snapshot.js';
import { apiListener, assignment, edsCluster, headerRoute, meshResources, routeConfig, weightedRoute } from './_fixtures.js';

const good = () => meshResources('svc:80', { a: [1001], b: [1002] }, [headerRoute('x-canary', 'always', 'b'), weightedRoute({ a: 90, b: 10 })]);

test('GIVEN the same resources built twice WHEN snapshotted THEN the versions are equal (version = content hash)', () => {
  const s1 = createSnapshot(good());
  const s2 = createSnapshot(good());
  assert.is(s1.version, s2.version);
  assert.match(s1.version, /^[0-9a-f]{16}$/);
  assert.is(s1.types.listener.version, s2.types.listener.version);
});

test('GIVEN one route weight changed WHEN snapshotted THEN only the RDS version and the snapshot version change', () => {
  const s1 = createSnapshot(good());
  const changed = meshResources('svc:80', { a: [1001], b: [1002] }, [headerRoute('x-canary', 'always', 'b'), weightedRoute({ a: 50, b: 50 })]);
  const s2 = createSnapshot(changed);
  assert.is.not(s1.version, s2.version);
  assert.is.not(s1.types.route.version, s2.types.route.version);
  assert.is(s1.types.cluster.version, s2.types.cluster.version);
  assert.is(s1.types.endpoint.version, s2.types.endpoint.version);
  assert.is(s1.types.listener.version, s2.types.listener.version);
});

test('GIVEN a snapshot WHEN its resources are mutated THEN it refuses (immutable)', () => {
  const s = createSnapshot(good());
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.resources.clusters) && Object.isFrozen(s.resources.clusters[0]));
  assert.throws(() => { (s.resources.clusters[0] as { name: string }).name = 'other'; }, TypeError);
  assert.throws(() => { (s.resources.listeners as unknown[]).push(apiListener('x', 'y')); }, TypeError);
});

test('GIVEN two clusters with one name WHEN snapshotted THEN XDS_DUPLICATE_NAME names the index and the name', () => {
  const set = { ...good(), clusters: [edsCluster('a'), edsCluster('a')] };
  const err = (() => { try { createSnapshot(set); return undefined; } catch (e) { return e; } })();
  assert.instance(err, SnapshotError);
  assert.is((err as SnapshotError).code, 'XDS_DUPLICATE_NAME');
  assert.match((err as Error).message, 'clusters[1]: Cluster.name "a" appears twice');
});

test('GIVEN a consistent snapshot WHEN checked THEN no problems', () => {
  assert.equal(checkSnapshot(createSnapshot(good())), []);
});

test('GIVEN an HCM naming a missing RouteConfiguration WHEN checked THEN XDS_MISSING_ROUTE_CONFIG with the field path', () => {
  const set = { ...good(), listeners: [apiListener('svc:80', 'nope')] };
  const [p, ...rest] = checkSnapshot(createSnapshot(set));
  assert.equal(rest, []);
  assert.is(p.code, 'XDS_MISSING_ROUTE_CONFIG');
  assert.is(p.where, 'Listener "svc:80" api_listener.api_listener (HttpConnectionManager).rds.route_config_name');
  assert.is(p.name, 'nope');
});

test('GIVEN an EDS cluster without a ClusterLoadAssignment WHEN checked THEN XDS_MISSING_ASSIGNMENT', () => {
  const set = { ...good(), endpoints: [assignment('a', [1001])] };
  const problems = checkSnapshot(createSnapshot(set));
  assert.equal(problems.map((p) => [p.code, p.name]), [['XDS_MISSING_ASSIGNMENT', 'b']]);
  assert.match(problems[0].message, 'Cluster "b" is type EDS');
});

test('GIVEN a weighted route to a cluster not in the snapshot WHEN checked THEN XDS_MISSING_CLUSTER points at the weighted cluster', () => {
  const set = { ...good(), routes: [routeConfig('svc:80-routes', [weightedRoute({ a: 90, c: 10 })])] };
  const problems = checkSnapshot(createSnapshot(set));
  assert.equal(problems.map((p) => p.where), ['RouteConfiguration "svc:80-routes" virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].name']);
});

test('GIVEN an inconsistent snapshot WHEN published THEN the cache throws and keeps the last good one', () => {
  const cache = new SnapshotCache();
  const first = createSnapshot(good());
  assert.ok(cache.setSnapshot('n1', first));
  const seen: string[] = [];
  cache.watch('n1', (s) => seen.push(s.version));
  const bad = createSnapshot({ ...good(), clusters: [edsCluster('a')] });
  assert.throws(() => cache.setSnapshot('n1', bad), (e: unknown) => e instanceof SnapshotInconsistentError && /XDS_MISSING_CLUSTER/.test(e.message));
  assert.is(cache.getSnapshot('n1'), first);
  assert.equal(seen, []);
});

test('GIVEN a node with a snapshot WHEN the same content is published again THEN watchers are not called; a change calls them once', () => {
  const cache = new SnapshotCache();
  cache.setSnapshot('n1', createSnapshot(good()));
  const seen: string[] = [];
  const unwatch = cache.watch('n1', (s) => seen.push(s.version));
  assert.is(cache.setSnapshot('n1', createSnapshot(good())), false);
  const next = createSnapshot(meshResources('svc:80', { a: [1001], b: [1002] }, [weightedRoute({ a: 1, b: 1 })]));
  assert.is(cache.setSnapshot('n1', next), true);
  assert.equal(seen, [next.version]);
  unwatch();
  assert.is(cache.watcherCount(), 0);
});

test('GIVEN a node without a stream WHEN a snapshot is published lazily THEN nothing is made until the node is asked for, once; the status version says deferred; a throwing producer keeps the last good snapshot', () => {
  const cache = new SnapshotCache();
  const first = createSnapshot(good());
  cache.setSnapshot('n1', first);
  let made = 0;
  const next = createSnapshot(meshResources('svc:80', { a: [1001], b: [1002] }, [weightedRoute({ a: 1, b: 1 })]));
  assert.is(cache.setSnapshotLazily('n1', () => { made++; return next; }, () => assert.unreachable('no error')), 'deferred');
  assert.is(made, 0);
  assert.equal(cache.nodeIds(), ['n1']);
  assert.is(cache.versionOf('n1'), 'deferred');
  assert.is(cache.getSnapshot('n1'), next);
  assert.is(cache.getSnapshot('n1'), next);
  assert.is(made, 1);
  assert.is(cache.versionOf('n1'), next.version);
  const errors: unknown[] = [];
  cache.setSnapshotLazily('n1', () => { throw new Error('untranslatable'); }, (e) => errors.push(e));
  assert.is(cache.getSnapshot('n1'), next, 'the last good snapshot');
  assert.equal(errors.map((e) => (e as Error).message), ['untranslatable']);
  cache.setSnapshotLazily('n2', () => createSnapshot({ ...good(), clusters: [edsCluster('a')] }), (e) => errors.push(e));
  assert.is(cache.getSnapshot('n2'), undefined, 'an inconsistent snapshot is not published');
  assert.ok(errors[1] instanceof SnapshotInconsistentError);
  cache.setSnapshotLazily('n3', () => next, () => {});
  cache.clearSnapshot('n3');
  assert.equal(cache.nodeIds(), ['n1']);
});

test('GIVEN a node with a stream WHEN a snapshot is published lazily THEN it is made and pushed at once', () => {
  const cache = new SnapshotCache();
  const seen: string[] = [];
  cache.watch('n1', (s) => seen.push(s.version));
  const snap = createSnapshot(good());
  assert.is(cache.setSnapshotLazily('n1', () => snap, () => {}), true);
  assert.equal(seen, [snap.version]);
});

test.run();
