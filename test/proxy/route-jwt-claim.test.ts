/**
 * JWT claim routes (route `dynamic_metadata` on `envoy.filters.http.jwt_authn`, as istiod emits for
 * `@request.auth.claims…`): this proxy runs no jwt_authn filter, so, as Envoy does for a request
 * without a verified JWT, such a matcher never matches and an inverted one always does — whatever
 * headers the request sends (a literal `@request.auth.claims.group` header is not a claim).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { create } from '@bufbuild/protobuf';
import { RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { ConfigError } from '../../src/proxy/config/config-error.js';
import { routeSelect } from '../../src/proxy/route-select.js';

const claim = (filter: string, invert: boolean) => ({
  filter, invert, path: [{ segment: { case: 'key' as const, value: 'payload' } }, { segment: { case: 'key' as const, value: 'group' } }],
  value: { matchPattern: { case: 'listMatch' as const, value: { matchPattern: { case: 'oneOf' as const, value: { matchPattern: { case: 'stringMatch' as const, value: { matchPattern: { case: 'exact' as const, value: 'admin' } } } } } } } },
});
const fwd = (cluster: string) => ({ case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: cluster } } });
const rc = (invert: boolean, filter = 'envoy.filters.http.jwt_authn') => create(RouteConfigurationSchema, { name: '80', virtualHosts: [{ name: 'vh', domains: ['*'], routes: [
  { match: { pathSpecifier: { case: 'prefix', value: '/' }, dynamicMetadata: [claim(filter, invert)] }, action: fwd('admins') },
  { match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: fwd('everyone') },
] }] });
const pick = (invert: boolean) => {
  const d = routeSelect(rc(invert), { authority: 'a', path: '/', method: 'GET', scheme: 'http', headers: { '@request.auth.claims.group': 'admin' } }, () => 0);
  return d.kind === 'forward' ? d.cluster : d.kind;
};

test('GIVEN a claim route WHEN a request sends the claim as a literal header THEN it does not match (no jwt_authn payload); inverted (withoutHeaders) THEN it matches', () => {
  assert.is(pick(false), 'everyone');
  assert.is(pick(true), 'admins');
});

test('GIVEN a dynamic_metadata matcher on another filter WHEN compiled THEN refused with the field and the reason', () => {
  try {
    routeSelect(rc(false, 'envoy.filters.http.rbac'), { authority: 'a', path: '/', method: 'GET', scheme: 'http', headers: {} }, () => 0);
    assert.unreachable('refused');
  } catch (e) {
    assert.ok(e instanceof ConfigError && /dynamic_metadata\[0\].*envoy\.filters\.http\.rbac/.test(e.message), String(e));
  }
});

test.run();
