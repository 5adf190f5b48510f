/**
 * `@request.auth.claims…` keys in `headers` / `withoutHeaders` become dynamic-metadata matchers on
 * the `jwt_authn` filter's `payload` (istiod `TranslateRouteMatch` / `translateMetadataMatch`), never
 * header matchers.
 */
import { fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HttpMatchView } from '../../../src/mesh/view/index.js';
import { RouteMatchSchema } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { routingClaim, translateRouteMatch } from '../../../src/xds/translate/route.js';

const origin = undefined as unknown as HttpMatchView['origin'];

test('GIVEN claim keys in both notations and a plain header WHEN translated THEN the claims are jwt_authn payload matchers (withoutHeaders inverted) and only the plain header is a header matcher', () => {
  const m = translateRouteMatch({
    headers: { '@request.auth.claims.group': { exact: 'admin' }, 'x-user': { prefix: 'a' } },
    withoutHeaders: { '@request.auth.claims[org][team]': { regex: 'ops-.*' } },
    origin,
  } as unknown as HttpMatchView);
  assert.equal(m.headers.map((h) => h.name), ['x-user']);
  const dm = m.dynamicMetadata.map((d) => {
    // istiod (extended JWT): or_match [list_match{one_of: v}, v]: a list claim holding the value, or the claim itself.
    const or = d.value?.matchPattern.case === 'orMatch' ? d.value.matchPattern.value.valueMatchers : [];
    const list = or[0]?.matchPattern.case === 'listMatch' ? or[0].matchPattern.value : undefined;
    const one = list?.matchPattern.case === 'oneOf' ? list.matchPattern.value : undefined;
    assert.equal(or[1], one, 'the second alternative is the element itself');
    const sm = one?.matchPattern.case === 'stringMatch' ? one.matchPattern.value.matchPattern : undefined;
    return [d.filter, d.path.map((p) => p.segment.value), or.length, sm?.case, sm?.case === 'safeRegex' ? sm.value.regex : sm?.value, d.invert];
  });
  assert.equal(dm, [
    ['envoy.filters.http.jwt_authn', ['payload', 'group'], 2, 'exact', 'admin', false],
    ['envoy.filters.http.jwt_authn', ['payload', 'org', 'team'], 2, 'safeRegex', 'ops-.*', true],
  ]);
});

test('GIVEN header keys WHEN read as routing claims THEN only @request.auth.claims.<a>[.<b>] and [a][b] forms are claims, in any case of the prefix', () => {
  assert.equal(routingClaim('@request.auth.claims.a.b'), ['a', 'b']);
  assert.equal(routingClaim('@Request.Auth.Claims[a][b]'), ['a', 'b']);
  assert.equal([routingClaim('@request.auth.claims'), routingClaim('@request.auth.claims.'), routingClaim('@request.auth.claims[]'), routingClaim('x-claims')], [undefined, undefined, undefined, undefined]);
});

/** Every StringMatcher in a proto-JSON tree without its required `match_pattern` (Envoy's validation refuses it). */
function emptyStringMatchers(json: unknown, at = ''): string[] {
  if (json === null || typeof json !== 'object') return [];
  return Object.entries(json).flatMap(([k, v]) => (k === 'stringMatch' && v !== null && typeof v === 'object' && Object.keys(v).length === 0
    ? [`${at}.${k}`] : emptyStringMatchers(v, `${at}.${k}`)));
}

test('GIVEN a presence-only claim match (headers and withoutHeaders) WHEN translated and sent as bytes THEN each is a present_match that round-trips, and no empty StringMatcher is sent', () => {
  const m = translateRouteMatch({
    headers: { '@request.auth.claims.group': { present: true } },
    withoutHeaders: { '@request.auth.claims[org][team]': { present: true } },
    origin,
  } as unknown as HttpMatchView);
  const decoded = fromBinary(RouteMatchSchema, toBinary(RouteMatchSchema, m));
  assert.equal(decoded, m, 'binary round trip');
  const json = toJson(RouteMatchSchema, decoded);
  assert.equal(emptyStringMatchers(json), []);
  assert.equal((json as { dynamicMetadata: unknown }).dynamicMetadata, [
    { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'payload' }, { key: 'group' }], value: { orMatch: { valueMatchers: [{ listMatch: { oneOf: { presentMatch: true } } }, { presentMatch: true }] } } },
    { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'payload' }, { key: 'org' }, { key: 'team' }], value: { orMatch: { valueMatchers: [{ listMatch: { oneOf: { presentMatch: true } } }, { presentMatch: true }] } }, invert: true },
  ]);
  const valued = toJson(RouteMatchSchema, translateRouteMatch({ headers: { '@request.auth.claims.group': { exact: 'admin' } }, origin } as unknown as HttpMatchView));
  assert.equal(emptyStringMatchers(valued), [], 'a valued claim keeps its StringMatcher');
  assert.equal(emptyStringMatchers({ a: [{ stringMatch: {} }] }), ['.a.0.stringMatch'], 'the detector finds what Envoy refuses');
});

test.run();
