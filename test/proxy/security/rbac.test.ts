/** Envoy RBAC semantics as a table: policies + connection/request attributes -> allow/deny and the matched policy. */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type RBAC, RBAC_Action, RBACSchema, type PolicyJson } from '../../../src/xds/gen/envoy/config/rbac/v3/rbac_pb.js';
import { RBACSchema as HttpRbacSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { RBACSchema as NetworkRbacSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/rbac/v3/rbac_pb.js';
import { fromJson } from '@bufbuild/protobuf';
import { evaluateRbac, type RbacConnection } from '../../../src/proxy/rbac/engine.js';
import { evaluateRbacFilters, RBAC_DENIED_BODY, readRbacFilter } from '../../../src/proxy/rbac/filters.js';
import { validateRbac } from '../../../src/proxy/rbac/validate.js';

const rbac = (action: 'ALLOW' | 'DENY' | 'LOG', policies: Record<string, PolicyJson>): RBAC =>
  fromJson(RBACSchema, { action, policies } as never);
const mtls = (uri: string, extra: Partial<{ dns: string[]; subject: string }> = {}): RbacConnection => ({
  localAddress: '10.0.0.5', localPort: 8080, directRemoteAddress: '10.0.0.9',
  tls: { peer: { uriSans: uri ? [uri] : [], dnsSans: extra.dns ?? [], subject: extra.subject ?? '' } },
});
const req = (method: string, path: string, extra: Record<string, string> = {}) => {
  const h: Record<string, string> = { ':method': method, ':path': path, ':authority': 'reviews', ...extra };
  return { headers: (n: string) => h[n] };
};
const principal = (exact: string): PolicyJson => ({ permissions: [{ any: true }], principals: [{ authenticated: { principalName: { exact } } }] });
const SA_A = 'spiffe://cluster.local/ns/shop/sa/frontend';

const table: Array<{ name: string; rules: RBAC; conn: RbacConnection; request?: ReturnType<typeof req>; allowed: boolean; policy?: string }> = [
  { name: 'ALLOW: exact principal matches the URI SAN', rules: rbac('ALLOW', { p: principal(SA_A) }), conn: mtls(SA_A), allowed: true, policy: 'p' },
  { name: 'ALLOW: same namespace/sa in another trust domain does not match', rules: rbac('ALLOW', { p: principal(SA_A) }), conn: mtls('spiffe://other.example/ns/shop/sa/frontend'), allowed: false },
  { name: 'ALLOW: Istio namespace regex .*/ns/shop/.* matches any sa of shop', rules: rbac('ALLOW', { ns: { permissions: [{ any: true }], principals: [{ authenticated: { principalName: { safeRegex: { regex: '.*/ns/shop/.*' } } } }] } }), conn: mtls('spiffe://cluster.local/ns/shop/sa/x'), allowed: true, policy: 'ns' },
  { name: 'ALLOW: namespace regex is a full match (ns/shopping is not ns/shop)', rules: rbac('ALLOW', { ns: { permissions: [{ any: true }], principals: [{ authenticated: { principalName: { safeRegex: { regex: '.*/ns/shop/.*' } } } }] } }), conn: mtls('spiffe://cluster.local/ns/shopping/sa/x'), allowed: false },
  { name: 'authenticated never matches plaintext', rules: rbac('ALLOW', { any: { permissions: [{ any: true }], principals: [{ authenticated: {} }] } }), conn: { localPort: 8080, directRemoteAddress: '10.0.0.9' }, allowed: false },
  { name: 'authenticated without principal_name matches any TLS peer', rules: rbac('ALLOW', { any: { permissions: [{ any: true }], principals: [{ authenticated: {} }] } }), conn: mtls(SA_A), allowed: true, policy: 'any' },
  { name: 'principal falls back to the DNS SAN', rules: rbac('ALLOW', { p: principal('web.example.com') }), conn: mtls('', { dns: ['web.example.com'] }), allowed: true, policy: 'p' },
  { name: 'principal falls back to the subject', rules: rbac('ALLOW', { p: principal('CN=legacy,O=acme') }), conn: mtls('', { subject: 'CN=legacy,O=acme' }), allowed: true, policy: 'p' },
  { name: 'DENY: a matching policy denies', rules: rbac('DENY', { 'deny-frontend': principal(SA_A) }), conn: mtls(SA_A), allowed: false, policy: 'deny-frontend' },
  { name: 'DENY: no matching policy allows', rules: rbac('DENY', { 'deny-frontend': principal(SA_A) }), conn: mtls('spiffe://cluster.local/ns/shop/sa/other'), allowed: true },
  { name: 'LOG: always allowed, the match still named', rules: rbac('LOG', { audit: principal(SA_A) }), conn: mtls(SA_A), allowed: true, policy: 'audit' },
  { name: 'ALLOW with no policies denies everything', rules: rbac('ALLOW', {}), conn: mtls(SA_A), allowed: false },
  { name: 'url_path ignores the query string', rules: rbac('ALLOW', { path: { permissions: [{ urlPath: { path: { exact: '/api' } } }], principals: [{ any: true }] } }), conn: mtls(SA_A), request: req('GET', '/api?x=1'), allowed: true, policy: 'path' },
  { name: 'url_path prefix miss', rules: rbac('ALLOW', { path: { permissions: [{ urlPath: { path: { prefix: '/admin' } } }], principals: [{ any: true }] } }), conn: mtls(SA_A), request: req('GET', '/api'), allowed: false },
  { name: 'method via :method header AND path', rules: rbac('ALLOW', { m: { permissions: [{ andRules: { rules: [{ header: { name: ':method', stringMatch: { exact: 'GET' } } }, { urlPath: { path: { prefix: '/' } } }] } }], principals: [{ any: true }] } }), conn: mtls(SA_A), request: req('POST', '/x'), allowed: false },
  { name: 'or_rules: one port of two', rules: rbac('ALLOW', { ports: { permissions: [{ orRules: { rules: [{ destinationPort: 9090 }, { destinationPort: 8080 }] } }], principals: [{ any: true }] } }), conn: mtls(SA_A), allowed: true, policy: 'ports' },
  { name: 'destination_port_range is half open', rules: rbac('ALLOW', { r: { permissions: [{ destinationPortRange: { start: 8000, end: 8080 } }], principals: [{ any: true }] } }), conn: mtls(SA_A), allowed: false },
  { name: 'not_rule inverts', rules: rbac('ALLOW', { n: { permissions: [{ notRule: { destinationPort: 8080 } }], principals: [{ any: true }] } }), conn: mtls(SA_A), allowed: false },
  { name: 'destination_ip CIDR', rules: rbac('ALLOW', { d: { permissions: [{ destinationIp: { addressPrefix: '10.0.0.0', prefixLen: 24 } }], principals: [{ any: true }] } }), conn: mtls(SA_A), allowed: true, policy: 'd' },
  { name: 'direct_remote_ip CIDR miss', rules: rbac('ALLOW', { s: { permissions: [{ any: true }], principals: [{ directRemoteIp: { addressPrefix: '192.168.0.0', prefixLen: 16 } }] } }), conn: mtls(SA_A), allowed: false },
  { name: 'remote_ip reads the trusted client address', rules: rbac('ALLOW', { s: { permissions: [{ any: true }], principals: [{ remoteIp: { addressPrefix: '203.0.113.7', prefixLen: 32 } }] } }), conn: { ...mtls(SA_A), remoteAddress: '203.0.113.7' }, allowed: true, policy: 's' },
  { name: 'IPv4-mapped IPv6 peer address is its IPv4 address', rules: rbac('ALLOW', { s: { permissions: [{ any: true }], principals: [{ sourceIp: { addressPrefix: '127.0.0.1', prefixLen: 32 } }] } }), conn: { directRemoteAddress: '::ffff:127.0.0.1' }, allowed: true, policy: 's' },
  { name: 'not_id with and_ids', rules: rbac('ALLOW', { x: { permissions: [{ any: true }], principals: [{ andIds: { ids: [{ authenticated: {} }, { notId: { authenticated: { principalName: { exact: SA_A } } } }] } }] } }), conn: mtls(SA_A), allowed: false },
  { name: 'requested_server_name', rules: rbac('ALLOW', { sni: { permissions: [{ requestedServerName: { suffix: '.example.com' } }], principals: [{ any: true }] } }), conn: { ...mtls(SA_A), requestedServerName: 'api.example.com' }, allowed: true, policy: 'sni' },
  { name: 'policies tried in name order: first match names the decision', rules: rbac('DENY', { zeta: principal(SA_A), alpha: principal(SA_A) }), conn: mtls(SA_A), allowed: false, policy: 'alpha' },
  { name: 'a policy needs a permission AND a principal', rules: rbac('ALLOW', { p: { permissions: [{ destinationPort: 1 }], principals: [{ any: true }] } }), conn: mtls(SA_A), allowed: false },
  { name: 'header present on the network filter (no headers) does not match', rules: rbac('ALLOW', { h: { permissions: [{ header: { name: 'x-user', presentMatch: true } }], principals: [{ any: true }] } }), conn: mtls(SA_A), allowed: false },
  { name: 'inverted present_match on a missing header matches', rules: rbac('ALLOW', { h: { permissions: [{ header: { name: 'x-user', presentMatch: true, invertMatch: true } }], principals: [{ any: true }] } }), conn: mtls(SA_A), request: req('GET', '/'), allowed: true, policy: 'h' },
  { name: 'inverted exact on a missing header does not match (Envoy)', rules: rbac('ALLOW', { h: { permissions: [{ header: { name: 'x-user', exactMatch: 'bob', invertMatch: true } }], principals: [{ any: true }] } }), conn: mtls(SA_A), request: req('GET', '/'), allowed: false },
];

for (const c of table) {
  test(`GIVEN ${c.name} WHEN evaluated THEN ${c.allowed ? 'allowed' : 'denied'}${c.policy ? ` by ${c.policy}` : ''}`, () => {
    const d = evaluateRbac(c.rules, c.conn, c.request);
    assert.is(d.allowed, c.allowed);
    assert.is(d.matchedPolicy, c.policy);
  });
}

test('GIVEN Istio layering (DENY filter, then ALLOW filter) WHEN a denied caller and an allowed caller come THEN DENY wins, then ALLOW decides', () => {
  const deny = anyPack(HttpRbacSchema, create(HttpRbacSchema, { rules: rbac('DENY', { 'ns[shop]-policy[no-evil]-rule[0]': principal('spiffe://cluster.local/ns/shop/sa/evil') }) }));
  const allow = anyPack(HttpRbacSchema, create(HttpRbacSchema, { rules: rbac('ALLOW', { 'ns[shop]-policy[shop-only]-rule[0]': { permissions: [{ any: true }], principals: [{ authenticated: { principalName: { safeRegex: { regex: '.*/ns/shop/.*' } } } }] } }) }));
  const filters = [readRbacFilter('http', 'deny', deny, 'hcm.http_filters[0]')!, readRbacFilter('http', 'allow', allow, 'hcm.http_filters[1]')!];
  const evil = evaluateRbacFilters(filters, mtls('spiffe://cluster.local/ns/shop/sa/evil'), req('GET', '/'));
  assert.equal([evil.allowed, evil.deniedBy, evil.details], [false, 'deny', 'rbac_access_denied_matched_policy[ns[shop]-policy[no-evil]-rule[0]]']);
  const outsider = evaluateRbacFilters(filters, mtls('spiffe://cluster.local/ns/other/sa/x'), req('GET', '/'));
  assert.equal([outsider.allowed, outsider.deniedBy, outsider.details], [false, 'allow', 'rbac_access_denied_matched_policy[none]']);
  assert.is(evaluateRbacFilters(filters, mtls(SA_A), req('GET', '/')).allowed, true);
  assert.is(RBAC_DENIED_BODY, 'RBAC: access denied');
});

test('GIVEN a filter without rules and one with shadow rules only WHEN evaluated THEN allowed, the shadow decision reported', () => {
  const f = readRbacFilter('network', 'n', anyPack(NetworkRbacSchema, create(NetworkRbacSchema, { statPrefix: 'x', shadowRules: rbac('ALLOW', {}) })), 'at')!;
  const v = evaluateRbacFilters([f], mtls(SA_A));
  assert.is(v.allowed, true);
  assert.is(v.shadow.n?.allowed, false);
  assert.is(readRbacFilter('network', 'other', anyPack(HttpRbacSchema, create(HttpRbacSchema)), 'at'), undefined, 'another type URL is not this filter');
});

test('GIVEN rules the engine cannot evaluate WHEN validated THEN each problem is named with its path', () => {
  const bad = rbac('ALLOW', {
    p: {
      permissions: [{ metadata: { filter: 'istio_authn', path: [{ key: 'request.auth.claims' }], value: { stringMatch: { exact: 'x' } } } }, { urlPath: { path: { safeRegex: { regex: '(a' } } } }],
      principals: [{ directRemoteIp: { addressPrefix: 'not-an-ip', prefixLen: 8 } }],
    },
  });
  const errors = validateRbac(bad, 'rules');
  assert.is(errors.length, 3, errors.join('\n'));
  assert.match(errors[0]!, /^rules\.policies\["p"\]\.permissions\[0\]: metadata is not supported/);
  assert.match(errors[1]!, /permissions\[1\]\.url_path\.path\.safe_regex: safe_regex "\(a" is not valid RE2/);
  assert.match(errors[2]!, /principals\[0\]\.directRemoteIp: address_prefix "not-an-ip" is not an IPv4 or IPv6 address/);
  assert.throws(() => readRbacFilter('http', 'r', anyPack(HttpRbacSchema, create(HttpRbacSchema, { rules: bad })), 'hcm.http_filters[2]'), /hcm\.http_filters\[2\]\.rules\.policies/);
  assert.equal(validateRbac(rbac('ALLOW', { ok: principal(SA_A) }), 'rules'), []);
});

test.run();
