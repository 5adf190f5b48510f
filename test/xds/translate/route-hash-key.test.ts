/**
 * The key under which translated routes are shared (the route view's fingerprint, which holds each
 * destination's `consistentHash`, plus `routedClusters`) must tell NaN and ±Infinity from null: JSON
 * prints all three as null, and a route built for one was served for the other.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HttpRouteView } from '../../../src/mesh/view/index.js';
import { translateHttpRoute, type RouteEnv } from '../../../src/xds/translate/route.js';
import { fingerprintJson } from '../../../src/xds/translate/carry-over.js';
import { BASE, baseWorkloads, differences, graphOfYaml, packedMesh } from './_carry.js';

const HASHED = (value: string) => BASE.replace('outlierDetection: { consecutive5xxErrors: 3 }',
  `outlierDetection: { consecutive5xxErrors: 3 }\n    loadBalancer: { consistentHash: { useSourceIp: ${value} } }`);

test('GIVEN a consistentHash whose useSourceIp is null WHEN it becomes .inf and the mesh reloads on its predecessor THEN the carried routes equal a from-scratch translation (source-IP hash policy), not the old ones', async () => {
  const before = await graphOfYaml(HASHED('null'), { carryOver: true });
  const old = packedMesh(before, baseWorkloads());
  const after = await graphOfYaml(HASHED('.inf'), { previous: before });
  const carried = packedMesh(after, baseWorkloads());
  const scratch = packedMesh(await graphOfYaml(HASHED('.inf')), baseWorkloads(), false);
  assert.equal(differences(carried, scratch), []);
  const changed = differences(old, scratch);
  assert.ok(changed.length > 0 && changed.every((d) => d.includes(' route ')), `only route configurations change (a hash policy): ${changed.join(' | ')}`);
});

/** The reviews route of {@link BASE} as the view gives it; `hashed` puts `hash` on both its destinations. */
async function reviewsRoute(): Promise<HttpRouteView> {
  const { buildProxyView, proxiesOf } = await import('../../../src/mesh/view/index.js');
  const graph = await graphOfYaml(BASE);
  const proxy = proxiesOf(graph).find((p) => p.namespace === 'front' && p.type === 'sidecar')!;
  return buildProxyView(graph, proxy).routes.find((r) => r.host.startsWith('reviews.'))!.http[0]!;
}
const hashed = (route: HttpRouteView, hash: Record<string, unknown>): HttpRouteView => ({ ...route, destinations: route.destinations.map((d) => ({ ...d, consistentHash: hash })) });
const envOf = (route: HttpRouteView): RouteEnv => ({ clusters: new Set(route.destinations.map((d) => d.cluster!)) });

test('GIVEN consistent-hash settings that differ only in null, NaN, Infinity or -Infinity WHEN keyed THEN every key differs; an equal setting keys equal', async () => {
  const route = await reviewsRoute();
  const keys = [null, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '\u0000NaN'].map((v) => fingerprintJson(hashed(route, { useSourceIp: v })));
  assert.is(new Set(keys).size, keys.length, keys.join(' / '));
  assert.is(fingerprintJson(hashed(route, { useSourceIp: Number.NaN })), keys[1]);
});

// hashPolicyOf reads every consistentHash field by truthiness or as a duration string: NaN and null are alike
// there (both falsy), so their routes cannot differ; Infinity is truthy and turns the source-IP hash on.
test('GIVEN useSourceIp NaN or null WHEN the route is translated THEN the routes are the same (no hash policy); with Infinity THEN it hashes on the source IP', async () => {
  const route = await reviewsRoute();
  const policy = (v: unknown) => translateHttpRoute(hashed(route, { useSourceIp: v }), envOf(route), { port: 9080 }).map((r) => r.action.case === 'route' ? r.action.value.hashPolicy.map((h) => h.policySpecifier.case) : null);
  assert.equal(policy(Number.NaN), [[]]);
  assert.equal(policy(null), [[]]);
  assert.equal(policy(Number.POSITIVE_INFINITY), [['connectionProperties', 'connectionProperties']], 'one policy per weighted destination, as istiod appends them');
});

test.run();
