/**
 * What Envoy parses on receipt beyond its proto constraints: every RegexMatcher (RE2) and every header value to
 * add (substitution format), wherever it sits in a resource (route match, header and query parameter matchers,
 * regex rewrite, CORS, RBAC in a listener's typed config, health checks). Each refused value is paired with the
 * fixed one, then the same through `checkSnapshot` (never published), `xds compile` (exit 2, nothing written)
 * and the reference proxy (NACKed in Envoy's words).
 */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { ConfigStore } from '../../src/proxy/config/config-store.js';
import { createExtensions } from '../../src/proxy/extensions.js';
import { syntaxViolations } from '../../src/xds/config-syntax.js';
import { packAny } from '../../src/xds/encode.js';
import { ClusterSchema } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { HeaderValueOptionSchema } from '../../src/xds/gen/envoy/config/core/v3/base_pb.js';
import { HealthCheckSchema } from '../../src/xds/gen/envoy/config/core/v3/health_check_pb.js';
import { ListenerSchema } from '../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { PolicySchema, RBAC_Action, RBACSchema } from '../../src/xds/gen/envoy/config/rbac/v3/rbac_pb.js';
import { RouteSchema } from '../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { CorsPolicySchema } from '../../src/xds/gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import { RBACSchema as HttpRBACSchema } from '../../src/xds/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { RouterSchema } from '../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { HttpConnectionManagerSchema } from '../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { checkSnapshot } from '../../src/xds/snapshot-check.js';
import { captureIO } from '../cli/_io.js';
import { assignment, edsCluster } from './_fixtures.js';

const regex = (r: string) => ({ matchPattern: { case: 'safeRegex' as const, value: { regex: r } } });
const addHeader = (value: string) => create(HeaderValueOptionSchema, { header: { key: 'x-a', value } });
const found = (schema: Parameters<typeof syntaxViolations>[0], message: object) => syntaxViolations(schema, message as never).map((v) => `${v.path}: ${v.error}`);

/** A route holding a regex in each place a route can hold one, `bad` in the one named by `at`. */
function route(at: string, bad: string): ReturnType<typeof create<typeof RouteSchema>> {
  const pick = (where: string) => (where === at ? bad : 'ok.*');
  return create(RouteSchema, {
    match: {
      pathSpecifier: { case: 'safeRegex', value: { regex: pick('path') } },
      headers: [
        { name: 'x-s', headerMatchSpecifier: { case: 'stringMatch', value: regex(pick('header')) } },
        { name: 'x-d', headerMatchSpecifier: { case: 'safeRegexMatch', value: { regex: pick('header-deprecated') } } },
      ],
      queryParameters: [{ name: 'q', queryParameterMatchSpecifier: { case: 'stringMatch', value: regex(pick('query')) } }],
    },
    action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'c' }, regexRewrite: { pattern: { regex: pick('rewrite') }, substitution: '/' } } },
    typedPerFilterConfig: { 'envoy.filters.http.cors': packAny(CorsPolicySchema, create(CorsPolicySchema, { allowOriginStringMatch: [regex(pick('cors'))] })) },
  });
}

const PLACES: [string, string][] = [
  ['path', 'virtual_hosts[0].routes[0].match.safe_regex.regex'],
  ['header', 'virtual_hosts[0].routes[0].match.headers[0].string_match.safe_regex.regex'],
  ['header-deprecated', 'virtual_hosts[0].routes[0].match.headers[1].safe_regex_match.regex'],
  ['query', 'virtual_hosts[0].routes[0].match.query_parameters[0].string_match.safe_regex.regex'],
  ['rewrite', 'virtual_hosts[0].routes[0].route.regex_rewrite.pattern.regex'],
  ['cors', 'virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.cors"].allow_origin_string_match[0].safe_regex.regex'],
];

for (const [at, path] of PLACES) {
  test(`GIVEN a route whose ${at} regex RE2 refuses WHEN its RouteConfiguration is walked THEN refused at ${path} in RE2's words; the fixed regex passes`, () => {
    const rc = (bad: string) => create(RouteConfigurationSchema, { name: 'r', virtualHosts: [{ name: 'v', domains: ['*'], routes: [route(at, bad)] }] });
    assert.equal(found(RouteConfigurationSchema, rc('/(v2')), [`${path}: missing ): /(v2`]);
    assert.equal(found(RouteConfigurationSchema, rc('/(v2)')), []);
  });
}

test('GIVEN header values to add on a route configuration, virtual host, route and weighted cluster WHEN walked THEN each one Envoy cannot parse is refused at its path (in field order); the escaped values pass', () => {
  const rc = (v: string) => create(RouteConfigurationSchema, {
    name: 'r', requestHeadersToAdd: [addHeader(v)],
    virtualHosts: [{
      name: 'v', domains: ['*'], responseHeadersToAdd: [addHeader(v)],
      routes: [{
        match: { pathSpecifier: { case: 'prefix', value: '/' } }, requestHeadersToAdd: [addHeader('%REQ(x-id)%'), addHeader(v)],
        action: { case: 'route', value: { clusterSpecifier: { case: 'weightedClusters', value: { clusters: [{ name: 'c', weight: 1, responseHeadersToAdd: [addHeader(v)] }] } } } },
      }],
    }],
  });
  assert.equal(found(RouteConfigurationSchema, rc('100%')), [
    'virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0].response_headers_to_add[0].header.value: Incorrect configuration: 100%. Couldn\'t find valid command at position 3',
    'virtual_hosts[0].routes[0].request_headers_to_add[1].header.value: Incorrect configuration: 100%. Couldn\'t find valid command at position 3',
    'virtual_hosts[0].response_headers_to_add[0].header.value: Incorrect configuration: 100%. Couldn\'t find valid command at position 3',
    'request_headers_to_add[0].header.value: Incorrect configuration: 100%. Couldn\'t find valid command at position 3',
  ]);
  assert.equal(found(RouteConfigurationSchema, rc('100%%')), []);
});

/** A listener whose HCM carries its routes inline and an RBAC filter whose one policy matches `principalRegex`, each packed as `pack` packs. */
function rbacListener(principalRegex: string, headerValue: string, pack: typeof packAny): ReturnType<typeof create<typeof ListenerSchema>> {
  const rules = create(RBACSchema, {
    action: RBAC_Action.ALLOW,
    policies: { p: create(PolicySchema, { permissions: [{ rule: { case: 'any', value: true } }], principals: [{ identifier: { case: 'header', value: { name: 'x-user', headerMatchSpecifier: { case: 'stringMatch', value: regex(principalRegex) } } } }] }) },
  });
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: 'l',
    routeSpecifier: { case: 'routeConfig', value: { name: 'inline', virtualHosts: [{ name: 'v', domains: ['*'], requestHeadersToAdd: [addHeader(headerValue)] }] } },
    httpFilters: [
      { name: 'envoy.filters.http.rbac', configType: { case: 'typedConfig', value: pack(HttpRBACSchema, create(HttpRBACSchema, { rules })) } },
      { name: 'envoy.filters.http.router', configType: { case: 'typedConfig', value: pack(RouterSchema, create(RouterSchema)) } },
    ],
  });
  return create(ListenerSchema, { name: 'l', filterChains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', configType: { case: 'typedConfig', value: pack(HttpConnectionManagerSchema, hcm) } }] }] });
}

test('GIVEN a listener with an RBAC principal regex and an inline route header value Envoy refuses WHEN walked (Anys packed by the translation, or decoded) THEN both are found inside the typed configs; fixed, none', () => {
  const HCM = 'filter_chains[0].filters[0].typed_config';
  const want = [
    `${HCM}.route_config.virtual_hosts[0].request_headers_to_add[0].header.value: REQ requires parameters`,
    `${HCM}.http_filters[0].typed_config.rules.policies["p"].principals[0].header.string_match.safe_regex.regex: invalid perl operator: (?!`,
  ];
  for (const pack of [packAny, anyPack as typeof packAny]) {
    assert.equal(found(ListenerSchema, rbacListener('(?!admin).*', '%REQ%', pack)).sort(), [...want].sort());
    assert.equal(found(ListenerSchema, rbacListener('[^a].*', '%REQ(x-user)%', pack)), []);
  }
});

test('GIVEN a cluster health check whose request header value names an unknown command WHEN walked THEN refused; a known command passes', () => {
  const c = (v: string) => {
    const cluster = edsCluster('c');
    cluster.healthChecks = [create(HealthCheckSchema, { healthChecker: { case: 'httpHealthCheck', value: { path: '/', requestHeadersToAdd: [addHeader(v)] } } })];
    return cluster;
  };
  assert.equal(found(ClusterSchema, c('%NODE_NAME%')), ['health_checks[0].http_health_check.request_headers_to_add[0].header.value: Not supported field in StreamInfo: NODE_NAME']);
  assert.equal(found(ClusterSchema, c('%HOSTNAME%')), []);
});

const rcWith = (pathRegex: string, value: string) => create(RouteConfigurationSchema, { name: 'r', virtualHosts: [{
  name: 'v', domains: ['*'], routes: [{
    match: { pathSpecifier: { case: 'safeRegex', value: { regex: pathRegex } } }, requestHeadersToAdd: [addHeader(value)],
    action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'c' } } },
  }],
}] });

test('GIVEN a snapshot whose routes hold a regex RE2 refuses and a header value Envoy cannot parse WHEN checked THEN XDS_INVALID_REGEX and XDS_INVALID_HEADER_VALUE name resource, field, value and Envoy\'s error; fixed, consistent', () => {
  const set = (rc: ReturnType<typeof rcWith>) => ({ clusters: [edsCluster('c')], endpoints: [assignment('c', [8080])], listeners: [], routes: [rc] });
  const problems = checkSnapshot(createSnapshot(set(rcWith('/(v2', '50% off'))));
  assert.equal(problems.map((p) => [p.code, p.where, p.name]), [
    ['XDS_INVALID_REGEX', 'RouteConfiguration "r" virtual_hosts[0].routes[0].match.safe_regex.regex', 'r'],
    ['XDS_INVALID_HEADER_VALUE', 'RouteConfiguration "r" virtual_hosts[0].routes[0].request_headers_to_add[0].header.value', 'r'],
  ]);
  assert.match(problems[0]!.message, 'Envoy refuses this resource (NACK): invalid RE2 regex "/(v2": missing ): /(v2; write the pattern in RE2 syntax');
  assert.match(problems[1]!.message, 'invalid header value "50% off": Incorrect configuration: 50% off. Couldn\'t find valid command at position 2; write a literal percent sign as %%');
  assert.equal(checkSnapshot(createSnapshot(set(rcWith('/(v2)', '50%% off')))), []);
});

test('GIVEN a route configuration with a regex RE2 refuses WHEN the reference proxy receives it THEN the response is NACKed in Envoy\'s words, and the valid neighbour applies', () => {
  const store = new ConfigStore(createExtensions(), { hosts: () => undefined, cluster: () => undefined, choose: () => undefined });
  const good = rcWith('/v2/.*', 'x');
  good.name = 'good';
  const { change, error } = store.apply('route', 'v1', [anyPack(RouteConfigurationSchema, rcWith('/(v2', 'x')), anyPack(RouteConfigurationSchema, good)]);
  assert.is(error, 'RouteConfiguration "r": virtual_hosts[0].routes[0].match.safe_regex.regex: invalid RE2 regex "/(v2": missing ): /(v2');
  assert.equal(change.updated, ['good']);
});

test('GIVEN an RBAC principal regex RE2 refuses inside a listener WHEN the reference proxy receives it THEN the listener is NACKed at the field inside its typed config', () => {
  const store = new ConfigStore(createExtensions(), { hosts: () => undefined, cluster: () => undefined, choose: () => undefined });
  const { error } = store.apply('listener', 'v1', [anyPack(ListenerSchema, rbacListener('(?!admin).*', 'x', anyPack as typeof packAny))]);
  assert.match(String(error), /^Listener "l": filter_chains\[0\]\.filters\[0\]\.typed_config\.http_filters\[0\]\.typed_config\.rules\.policies\["p"\]\.principals\[0\]\.header\.string_match\.safe_regex\.regex: invalid RE2 regex "\(\?!admin\)\.\*": invalid perl operator: \(\?!$/);
});

/** A meshed Service and Deployment, a mesh-wide STRICT PeerAuthentication, and a VirtualService: `http` is its one rule (YAML, indented by 2). */
const APP = (http: string) => [
  'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}',
  'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}',
  'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: app, image: web}]}',
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n${http}`,
].join('\n---\n');
const withRegex = (regex: string) => `  - match: [{uri: {regex: '${regex}'}}]\n    route: [{destination: {host: web}}]`;
const withHeader = (value: string) => `  - headers: {request: {set: {x-a: '${value}'}}}\n    route: [{destination: {host: web}}]`;

test('GIVEN a VirtualService with a regex RE2 refuses WHEN "xds compile --no-check" THEN exit 2 naming the field and RE2\'s error, nothing written, and the way out is meshproof check; fixed, it compiles', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-syntax-'));
  writeFileSync(join(dir, 'mesh.yaml'), APP(withRegex('/(v2')));
  const cap = captureIO(dir);
  const code = await main(['xds', 'compile', 'mesh.yaml', '--out', 'out', '--no-check'], cap.io);
  assert.is(code, 2, cap.stderr());
  assert.match(cap.stderr(), /holds values Envoy refuses \(it would NACK this config\).*run `meshproof check`/);
  assert.match(cap.stderr(), /XDS_INVALID_REGEX RouteConfiguration "80" virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex\.regex: .*invalid RE2 regex "\/\(v2": missing \): \/\(v2/);
  assert.match(cap.stderr(), /nothing written to out/);
  assert.not.ok(existsSync(join(dir, 'out', 'shop.web.json')), 'nothing written');
  writeFileSync(join(dir, 'mesh.yaml'), APP(withRegex('/(v2)')));
  const fixed = captureIO(dir);
  assert.is(await main(['xds', 'compile', 'mesh.yaml', '--out', 'out', '--no-check'], fixed.io), 0, fixed.stderr());
  assert.ok(existsSync(join(dir, 'out', 'shop.web.json')));
});

test('GIVEN a VirtualService header value Istio\'s webhook accepts but Envoy cannot parse (%FOO%) WHEN "xds compile" (checks on) THEN exit 2 naming the field and Envoy\'s error, nothing written; %HOSTNAME% compiles', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-syntax-'));
  writeFileSync(join(dir, 'mesh.yaml'), APP(withHeader('%FOO%')));
  const cap = captureIO(dir);
  const code = await main(['xds', 'compile', 'mesh.yaml', '--out', 'out'], cap.io);
  assert.is(code, 2, cap.stderr());
  assert.match(cap.stderr(), /XDS_INVALID_HEADER_VALUE RouteConfiguration "80" virtual_hosts\[0\]\.routes\[0\]\.request_headers_to_add\[0\]\.header\.value: .*invalid header value "%FOO%": Not supported field in StreamInfo: FOO/);
  assert.match(cap.stderr(), /that the check suite let through/);
  assert.not.ok(existsSync(join(dir, 'out', 'shop.web.json')), 'nothing written');
  writeFileSync(join(dir, 'mesh.yaml'), APP(withHeader('%HOSTNAME%')));
  const fixed = captureIO(dir);
  assert.is(await main(['xds', 'compile', 'mesh.yaml', '--out', 'out'], fixed.io), 0, fixed.stderr());
});

test.run();
