import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary, fromJson, toBinary, toJsonString, type JsonValue } from '@bufbuild/protobuf';
import { anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import { type Listener, ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { RBAC_Action, type Permission, type Principal } from '../../../src/xds/gen/envoy/config/rbac/v3/rbac_pb.js';
import { RBACSchema as HttpRbacSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { RBACSchema as NetworkRbacSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/rbac/v3/rbac_pb.js';
import { HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { DEFAULT_MESH_CONTEXT } from '../../../src/mesh/mesh-config.js';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { TRANSLATE_REGISTRY } from '../../../src/xds/translate/dump.js';
import { translateProxy, VIRTUAL_INBOUND } from '../../../src/xds/translate/index.js';
import { stringMatcher } from '../../../src/xds/translate/rbac.js';
import { graphOf } from '../../mesh/_graph.js';

type Obj = Record<string, unknown>;
const NS = 'shop';
const proxy = describeProxy({ name: 'cart', namespace: NS, labels: { app: 'cart' }, serviceAccount: 'cart' });
const workload: Obj = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: NS },
  spec: { template: { metadata: { labels: { app: 'cart' } }, spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }, { containerPort: 5432 }] }] } } },
};
const service: Obj = {
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: NS },
  spec: { selector: { app: 'cart' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'tcp-db', port: 5432 }] },
};
const strict: Obj = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: NS }, spec: { mtls: { mode: 'STRICT' } } };
const ap = (name: string, spec: Obj, annotations: Record<string, string> = {}): Obj =>
  ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: NS, annotations }, spec });
const EXAMPLE_TD = { ...DEFAULT_MESH_CONTEXT, meshConfig: { ...DEFAULT_MESH_CONTEXT.meshConfig, trustDomain: 'example.org' } };

function inboundListener(policies: Obj[], context = DEFAULT_MESH_CONTEXT): Listener {
  const set = translateProxy(buildProxyView(graphOf([workload, service, strict, ...policies], { context }), proxy), []);
  const l = set.listeners.find((x) => x.name === VIRTUAL_INBOUND)!;
  return fromBinary(ListenerSchema, toBinary(ListenerSchema, l));
}

/** The HTTP filters of the 8080 chain: RBAC ones decoded, others by name. */
function httpFilters(l: Listener) {
  const chain = l.filterChains.find((c) => c.filterChainMatch?.destinationPort === 8080)!;
  const hcm = anyUnpack(chain.filters[0]!.configType.value as Any, HttpConnectionManagerSchema)!;
  return hcm.httpFilters.map((f) => (f.name === 'envoy.filters.http.rbac' ? anyUnpack(f.configType.value as Any, HttpRbacSchema)! : f.name));
}

function networkRbac(l: Listener) {
  const chain = l.filterChains.find((c) => c.filterChainMatch?.destinationPort === 5432)!;
  return { names: chain.filters.map((f) => f.name), rbac: chain.filters.filter((f) => f.name === 'envoy.filters.network.rbac').map((f) => anyUnpack(f.configType.value as Any, NetworkRbacSchema)!), chain };
}

type Rbac = Exclude<ReturnType<typeof httpFilters>[number], string>;
const rbacAt = (filters: ReturnType<typeof httpFilters>, i: number) => filters[i] as Rbac;
/** `and_ids[ or_ids[ x ] ]` → x, for single-valued fields. */
const onlyPrincipal = (p: Principal, field = 0): Principal => {
  assert.is(p.identifier.case, 'andIds');
  const f = (p.identifier.value as { ids: Principal[] }).ids[field]!;
  return f.identifier.case === 'orIds' ? (f.identifier.value as { ids: Principal[] }).ids[0]! : f;
};
const permFields = (p: Permission): Permission[] => (p.rule.case === 'andRules' ? (p.rule.value as { rules: Permission[] }).rules : [p]);

test('GIVEN a DENY and an ALLOW policy WHEN translated for an HTTP port THEN the HCM has RBAC DENY, then RBAC ALLOW, then the router (deny-then-allow)', () => {
  const l = inboundListener([
    ap('allow-front', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/web/sa/front'] } }], to: [{ operation: { methods: ['GET'], paths: ['/api/*'], notPaths: ['/api/admin'] } }] }] }),
    ap('deny-legacy', { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['legacy'] } }] }] }),
  ], EXAMPLE_TD);
  const filters = httpFilters(l);
  assert.is(filters.length, 3);
  assert.is(filters[2], 'envoy.filters.http.router');
  const [deny, allow] = [rbacAt(filters, 0), rbacAt(filters, 1)];
  assert.equal([deny.rules!.action, Object.keys(deny.rules!.policies)], [RBAC_Action.DENY, ['ns[shop]-policy[deny-legacy]-rule[0]']]);
  assert.equal([allow.rules!.action, Object.keys(allow.rules!.policies)], [RBAC_Action.ALLOW, ['ns[shop]-policy[allow-front]-rule[0]']]);
  const ns = onlyPrincipal(deny.rules!.policies['ns[shop]-policy[deny-legacy]-rule[0]']!.principals[0]!);
  assert.equal(ns.identifier.case, 'authenticated');
  const nsMatch = (ns.identifier.value as { principalName: { matchPattern: { case: string; value: { regex: string } } } }).principalName.matchPattern;
  assert.equal([nsMatch.case, nsMatch.value.regex], ['safeRegex', '.*/ns/legacy/.*'], 'namespaces as Istio\'s SAN regex');
  const policy = allow.rules!.policies['ns[shop]-policy[allow-front]-rule[0]']!;
  const who = onlyPrincipal(policy.principals[0]!);
  assert.equal((who.identifier.value as { principalName: { matchPattern: unknown } }).principalName.matchPattern, { case: 'exact', value: 'spiffe://example.org/ns/web/sa/front' }, 'trust domain from the mesh context, cluster.local replaced');
  const [method, path, notPath] = permFields(policy.permissions[0]!);
  const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  assert.match(json(method), /":method".*"exact","value":"GET"/);
  assert.match(json(path), /"urlPath".*"prefix","value":"\/api\/"/);
  assert.is(notPath!.rule.case, 'notRule');
});

test('GIVEN AUDIT, CUSTOM (provider unknown), DENY and ALLOW policies, one dry-run WHEN translated THEN filters follow Istio\'s order (CUSTOM first, as DENY for an unusable provider; LOG, DENY, ALLOW) and the dry-run one is in shadow_rules only', () => {
  const filters = httpFilters(inboundListener([
    ap('allow', { rules: [{ from: [{ source: { namespaces: ['web'] } }] }] }),
    ap('deny', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] }, { 'istio.io/dry-run': 'true' }),
    ap('audit', { action: 'AUDIT', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] }),
    ap('ext', { action: 'CUSTOM', provider: { name: 'oauth2' }, rules: [{ to: [{ operation: { paths: ['/login'] } }] }] }),
  ]));
  assert.equal(filters.map((f) => (typeof f === 'string' ? f : [f.rules?.action, f.shadowRules?.action, f.shadowRulesStatPrefix])), [
    [RBAC_Action.DENY, undefined, ''], [RBAC_Action.LOG, undefined, ''], [undefined, RBAC_Action.DENY, 'istio_dry_run_deny_'], [RBAC_Action.ALLOW, undefined, ''], 'envoy.filters.http.router',
  ]);
});

test('GIVEN no ALLOW policy, or an ALLOW policy without rules WHEN translated THEN no ALLOW filter (all allowed), or an ALLOW filter with no policy (nothing allowed)', () => {
  const onlyDeny = httpFilters(inboundListener([ap('deny', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/x'] } }] }] })]));
  assert.equal(onlyDeny.map((f) => (typeof f === 'string' ? f : f.rules!.action)), [RBAC_Action.DENY, 'envoy.filters.http.router']);
  const nothing = httpFilters(inboundListener([ap('allow-nothing', {})]));
  assert.equal(nothing.map((f) => (typeof f === 'string' ? f : [f.rules!.action, Object.keys(f.rules!.policies).length])), [[RBAC_Action.ALLOW, 0], 'envoy.filters.http.router']);
});

test('GIVEN a policy naming a principal WHEN translated THEN that principal is in the RBAC config; WHEN the policy is removed THEN it is nowhere (the translation can fail)', () => {
  const evil = ap('deny-evil', { action: 'DENY', rules: [{ from: [{ source: { principals: ['cluster.local/ns/attic/sa/evil'] } }] }] });
  const withIt = toJsonString(ListenerSchema, inboundListener([evil]), { registry: TRANSLATE_REGISTRY });
  const without = toJsonString(ListenerSchema, inboundListener([]), { registry: TRANSLATE_REGISTRY });
  assert.ok(withIt.includes('"exact":"spiffe://cluster.local/ns/attic/sa/evil"'), 'the principal is translated');
  assert.not.ok(without.includes('attic'), 'a missing policy leaves no trace');
  assert.not.ok(without.includes('envoy.filters.http.rbac'), 'and no RBAC filter');
});

test('GIVEN to.ports naming the Service port 80 WHEN translated THEN RBAC checks destination_port 80 on a chain whose destination_port is 8080, so it never matches; the container port does', () => {
  const filters = httpFilters(inboundListener([ap('by-service-port', { rules: [{ to: [{ operation: { ports: ['80'] } }] }, { to: [{ operation: { ports: ['8080'] } }] }] })]));
  const policies = rbacAt(filters, 0).rules!.policies;
  const port = (name: string) => {
    const f = permFields(policies[name]!.permissions[0]!)[0]!;
    return ((f.rule.value as { rules: Permission[] }).rules[0]!.rule as { case: string; value: number });
  };
  assert.equal(port('ns[shop]-policy[by-service-port]-rule[0]'), { case: 'destinationPort', value: 80 });
  assert.equal(port('ns[shop]-policy[by-service-port]-rule[1]'), { case: 'destinationPort', value: 8080 });
});

test('GIVEN HTTP-only fields on a TCP port WHEN translated THEN an ALLOW rule using them is dropped, a DENY rule ignores them (Istio: narrower allow, wider deny), and metadata says so', () => {
  const l = inboundListener([
    ap('allow-get', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }, { from: [{ source: { namespaces: ['web'] } }] }] }),
    ap('deny-admin', { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['legacy'] } }], to: [{ operation: { paths: ['/admin'] } }] }] }),
  ]);
  const { names, rbac, chain } = networkRbac(l);
  assert.equal(names, ['envoy.filters.network.rbac', 'envoy.filters.network.rbac', 'envoy.filters.network.tcp_proxy']);
  assert.equal(rbac.map((r) => [r.statPrefix, r.rules!.action, Object.keys(r.rules!.policies)]), [
    ['tcp.', RBAC_Action.DENY, ['ns[shop]-policy[deny-admin]-rule[0]']],
    ['tcp.', RBAC_Action.ALLOW, ['ns[shop]-policy[allow-get]-rule[1]']],
  ]);
  const deny = rbac[0]!.rules!.policies['ns[shop]-policy[deny-admin]-rule[0]']!;
  assert.equal(permFields(deny.permissions[0]!).map((p) => p.rule.case), ['any'], 'the path is ignored: the rule denies every connection from legacy');
  const md = chain.metadata!.filterMetadata.meshproof as unknown as { rbac: Record<string, { translated: boolean; notes?: string[]; origin: { path: unknown[] } }> };
  assert.equal(md.rbac['ns[shop]-policy[allow-get]-rule[0]']!.translated, false);
  assert.match(md.rbac['ns[shop]-policy[allow-get]-rule[0]']!.notes![0]!, /rule dropped \(less is allowed\): method is HTTP only/);
  assert.match(md.rbac['ns[shop]-policy[deny-admin]-rule[0]']!.notes![0]!, /field ignored \(more is denied\): path is HTTP only/);
  assert.equal(md.rbac['ns[shop]-policy[deny-admin]-rule[0]']!.origin.path, ['spec', 'rules', 0]);
  // The same policies on the HTTP port keep every rule.
  assert.equal(Object.keys(rbacAt(httpFilters(l), 1).rules!.policies).sort(), ['ns[shop]-policy[allow-get]-rule[0]', 'ns[shop]-policy[allow-get]-rule[1]']);
});

test('GIVEN an unsupported when key WHEN translated THEN an ALLOW rule with it is dropped and a DENY rule ignores it; CUSTOM rules of a provider the MeshConfig lacks are denied and noted so', () => {
  const l = inboundListener([
    ap('allow-odd', { rules: [{ when: [{ key: 'source.workload', values: ['x'] }] }] }),
    ap('deny-odd', { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['legacy'] } }], when: [{ key: 'source.workload', values: ['x'] }] }] }),
    ap('ext', { action: 'CUSTOM', provider: { name: 'oauth2' }, rules: [{}] }),
  ]);
  const filters = httpFilters(l);
  assert.equal(filters.map((f) => (typeof f === 'string' ? f : Object.keys(f.rules!.policies))), [
    ['istio-ext-authz-oauth2-ns[shop]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action'], ['ns[shop]-policy[deny-odd]-rule[0]'], [], 'envoy.filters.http.router',
  ]);
  const md = l.filterChains.find((c) => c.filterChainMatch?.destinationPort === 8080)!.metadata!.filterMetadata.meshproof as unknown as { rbac: Record<string, { notes: string[] }> };
  assert.match(md.rbac['ns[shop]-policy[allow-odd]-rule[0]']!.notes[0]!, /rule dropped.*"source.workload" is not an attribute/);
  assert.match(md.rbac['istio-ext-authz-oauth2-ns[shop]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action']!.notes[0]!, /CUSTOM \(provider "oauth2"\) is enforced as DENY: istiod cannot use the provider \(available providers are \[\] but found "oauth2"\)/);
});

test('GIVEN an IP block list with a malformed entry WHEN translated THEN a DENY rule keeps the valid blocks (noted) and an ALLOW rule is dropped', () => {
  const l = inboundListener([
    ap('deny-ips', { action: 'DENY', rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8', '10.0.0.0/40'] } }] }] }),
    ap('allow-ips', { rules: [{ from: [{ source: { ipBlocks: ['192.168.0.0/16', 'bad'] } }] }] }),
  ]);
  const filters = httpFilters(l);
  const deny = rbacAt(filters, 0).rules!.policies['ns[shop]-policy[deny-ips]-rule[0]']!;
  const json = JSON.stringify(deny.principals);
  assert.match(json, /"addressPrefix":"10.0.0.0","prefixLen":8/);
  assert.not.match(json, /"prefixLen":40/);
  assert.equal(Object.keys(rbacAt(filters, 1).rules!.policies), []);
  const md = l.filterChains.find((c) => c.filterChainMatch?.destinationPort === 8080)!.metadata!.filterMetadata.meshproof as unknown as { rbac: Record<string, { notes: string[] }> };
  assert.match(md.rbac['ns[shop]-policy[deny-ips]-rule[0]']!.notes[0]!, /values ignored \(more is denied\): "10.0.0.0\/40" is not an IP address or CIDR/);
  assert.match(md.rbac['ns[shop]-policy[allow-ips]-rule[0]']!.notes[0]!, /rule dropped \(less is allowed\): "bad" is not an IP address or CIDR/);
});

test('GIVEN when conditions on headers, JWT claims, SNI and source IP WHEN translated THEN each becomes the Envoy matcher Istio generates', () => {
  const filters = httpFilters(inboundListener([ap('cond', {
    action: 'DENY',
    rules: [{
      from: [{ source: { requestPrincipals: ['https://issuer.example/alice'], ipBlocks: ['10.1.0.0/16'] } }],
      when: [{ key: 'request.headers[X-Env]', values: ['dev*'] }, { key: 'request.auth.claims[groups]', values: ['admins'] }, { key: 'connection.sni', values: ['*.shop'] }],
    }],
  })]));
  const json = JSON.stringify(rbacAt(filters, 0).rules!.policies, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  assert.match(json, /"filter":"envoy.filters.http.jwt_authn".*"value":"payload".*"value":"iss".*"exact","value":"https:\/\/issuer.example"/);
  assert.match(json, /"value":"sub".*"exact","value":"alice"/);
  assert.match(json, /"directRemoteIp","value":\{[^}]*"addressPrefix":"10.1.0.0","prefixLen":16/);
  assert.match(json, /"name":"x-env".*"prefix","value":"dev"/);
  // istiod extended JWT: or_match [list_match{one_of: "admins"}, "admins"], so a string claim matches as itself.
  assert.match(json, /"value":"groups".*"orMatch".*"listMatch".*"exact","value":"admins".*"exact","value":"admins"/);
  assert.match(json, /"requestedServerName","value":\{[^}]*"suffix","value":".shop"/);
});

test('GIVEN ipBlocks with an IPv6 zone (fe80::1%eth0) WHEN translated THEN the address without its zone, /128, as istiod\'s netip.PrefixFrom gives', () => {
  const filters = httpFilters(inboundListener([ap('link-local', { action: 'DENY', rules: [{ from: [{ source: { ipBlocks: ['fe80::1%eth0'] } }] }] })]));
  const json = JSON.stringify(rbacAt(filters, 0).rules!.policies, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  assert.match(json, /"directRemoteIp","value":\{[^}]*"addressPrefix":"fe80::1","prefixLen":128/);
});

test('GIVEN a policy using every field and condition WHEN the listener is encoded THEN it survives protobuf and proto-JSON without loss', () => {
  const every = ap('every', {
    action: 'DENY',
    rules: [{
      from: [{ source: { principals: ['*'], notPrincipals: ['cluster.local/ns/a/sa/*'], requestPrincipals: ['iss/sub'], notRequestPrincipals: ['*'], namespaces: ['a*'], notNamespaces: ['b'], ipBlocks: ['10.0.0.1'], notIpBlocks: ['::1/128'], remoteIpBlocks: ['1.2.3.0/24'] } }],
      to: [{ operation: { hosts: ['*.x'], notHosts: ['y*'], methods: ['GET'], notMethods: ['PUT'], paths: ['*'], notPaths: ['/a*'], ports: ['8080'], notPorts: ['1'] } }],
      when: [
        { key: 'request.headers[a]', values: ['*'] }, { key: 'request.auth.audiences', values: ['aud'] }, { key: 'request.auth.presenter', values: ['p'] },
        { key: 'request.auth.claims[c][d]', notValues: ['e'] }, { key: 'destination.ip', values: ['10.0.0.0/8'] }, { key: 'remote.ip', notValues: ['1.1.1.1'] },
      ],
    }],
  });
  const l = inboundListener([every, ap('audit', { action: 'AUDIT', rules: [{}] })]);
  const bin = toBinary(ListenerSchema, l);
  const json = toJsonString(ListenerSchema, l, { registry: TRANSLATE_REGISTRY });
  assert.equal(toBinary(ListenerSchema, fromJson(ListenerSchema, JSON.parse(json) as JsonValue, { registry: TRANSLATE_REGISTRY })), bin);
  for (const part of ['"notId"', '"notRule"', '"metadata"', '"remoteIp"', '"destinationIp"', '"presentMatch":true']) assert.ok(json.includes(part), part);
});

test('GIVEN Istio\'s string-matcher rules WHEN values use * THEN * is regex .+, *x a suffix (a regex after a prefix), x* a prefix, else exact', () => {
  assert.equal([
    stringMatcher('*', 'spiffe://'), stringMatcher('*/sa/bot', 'spiffe://'), stringMatcher('cluster.local/ns/a/*', 'spiffe://'), stringMatcher('td/ns/a/sa/b', 'spiffe://'), stringMatcher('*.html', ''),
  ].map((m) => [m.matchPattern.case, typeof m.matchPattern.value === 'string' ? m.matchPattern.value : m.matchPattern.value.regex]), [
    ['safeRegex', '.+'], ['safeRegex', 'spiffe://.*/sa/bot'], ['prefix', 'spiffe://cluster.local/ns/a/'], ['exact', 'spiffe://td/ns/a/sa/b'], ['suffix', '.html'],
  ]);
});

test.run();
