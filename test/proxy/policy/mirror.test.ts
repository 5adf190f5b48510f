/** Mirror unit: runtime_fraction, -shadow authority, cluster_header. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RouteAction_RequestMirrorPolicySchema } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { FractionalPercent_DenominatorType as D } from '../../../src/xds/gen/envoy/type/v3/percent_pb.js';
import { compileMirrorPolicies, mirrorTargets, shadowAuthority } from '../../../src/proxy/policy/mirror.js';
import { scripted, seeded } from './_helpers.js';

const mp = (m: Record<string, unknown>) => create(RouteAction_RequestMirrorPolicySchema, m);

test('GIVEN authorities THEN -shadow goes after the host and before the port', () => {
  assert.equal(['reviews:9080', 'reviews', 'reviews.default.svc.cluster.local:80', '[::1]:80', '10.0.0.1:8080'].map(shadowAuthority),
    ['reviews-shadow:9080', 'reviews-shadow', 'reviews.default.svc.cluster.local-shadow:80', '[::1]-shadow:80', '10.0.0.1-shadow:8080']);
});

test('GIVEN a mirror without runtime_fraction THEN every request is mirrored to the cluster with the shadow authority', () => {
  const m = compileMirrorPolicies([mp({ cluster: 'outbound|80||shadow.default.svc.cluster.local' })]);
  assert.equal(mirrorTargets(m, {}, 'web:80', scripted(0.999)), [{ cluster: 'outbound|80||shadow.default.svc.cluster.local', authority: 'web-shadow:80' }]);
});

test('GIVEN runtime_fraction 30 % WHEN 2000 seeded requests THEN ~30 % mirrored', () => {
  const m = compileMirrorPolicies([mp({ cluster: 's', runtimeFraction: { defaultValue: { numerator: 300_000, denominator: D.MILLION } } })]);
  const r = seeded(11);
  let n = 0;
  for (let i = 0; i < 2000; i++) n += mirrorTargets(m, {}, 'a', r).length;
  assert.ok(Math.abs(n - 600) < 4 * Math.sqrt(2000 * 0.3 * 0.7), `mirrored ${n}`);
});

test('GIVEN cluster_header and disable_shadow_host_suffix_append THEN the header names the cluster and the host is kept', () => {
  const m = compileMirrorPolicies([mp({ clusterHeader: 'X-Shadow', disableShadowHostSuffixAppend: true })]);
  assert.equal(mirrorTargets(m, { 'x-shadow': 'c2' }, 'a:1', scripted(0)), [{ cluster: 'c2', authority: 'a:1' }]);
  assert.equal(mirrorTargets(m, {}, 'a:1', scripted(0)), [], 'no header, no copy');
});

test('GIVEN a policy with neither cluster nor header THEN a ConfigError at request_mirror_policies[0]', () => {
  assert.throws(() => compileMirrorPolicies([mp({})]), /request_mirror_policies\[0\]: neither cluster nor cluster_header/);
});

test('GIVEN a wrong config (0 % instead of 100 %) THEN nothing is mirrored', () => {
  const none = compileMirrorPolicies([mp({ cluster: 's', runtimeFraction: { defaultValue: { numerator: 0 } } })]);
  const all = compileMirrorPolicies([mp({ cluster: 's', runtimeFraction: { defaultValue: { numerator: 100 } } })]);
  assert.is(mirrorTargets(none, {}, 'a', scripted(0)).length, 0);
  assert.is(mirrorTargets(all, {}, 'a', scripted(0)).length, 1);
});

test.run();
