/**
 * CUSTOM AuthorizationPolicies through MeshConfig extension providers: the RBAC filter in shadow
 * mode and Envoy's ext_authz filter istiod builds per provider (`builder.go`, `extauthz.go`), and the
 * deny rules it builds when it cannot use the provider.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import { type Listener, ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { RBAC_Action } from '../../../src/xds/gen/envoy/config/rbac/v3/rbac_pb.js';
import { RBACSchema as HttpRbacSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { RBACSchema as NetworkRbacSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/rbac/v3/rbac_pb.js';
import { ExtAuthzSchema as HttpExtAuthzSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz_pb.js';
import { ExtAuthzSchema as NetworkExtAuthzSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/ext_authz/v3/ext_authz_pb.js';
import { HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy, VIRTUAL_INBOUND } from '../../../src/xds/translate/index.js';
import { configDump } from '../../../src/xds/translate/dump.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
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
const authzService = (name: string, namespace = 'auth'): Obj => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 8000 }, { name: 'grpc', port: 9000 }] },
});
const custom = (name: string, provider: string, spec: Obj = {}, annotations: Record<string, string> = {}): Obj => ({
  apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: NS, annotations },
  spec: { action: 'CUSTOM', provider: { name: provider }, rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }], ...spec },
});
/** The `istio` ConfigMap, its MeshConfig text as written in a cluster. */
const meshConfigMap = (mesh: string): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh } });
const HTTP_PROVIDER = `extensionProviders:
- name: oauth2
  envoyExtAuthzHttp:
    service: oauth2-proxy.auth.svc.cluster.local
    port: 8000
    timeout: 2s
    pathPrefix: /check
    statusOnError: "503"
    includeRequestHeadersInCheck: [authorization, "x-auth-*"]
    includeAdditionalHeadersInCheck: {x-ext-authz: "yes", a-first: "1"}
    headersToUpstreamOnAllow: [x-user]
    headersToDownstreamOnDeny: [www-authenticate]
`;
const GRPC_PROVIDER = `extensionProviders:
- name: opa
  envoy_ext_authz_grpc:
    service: auth/opa.auth.svc.cluster.local
    port: 9000
    fail_open: true
`;

function inbound(objects: Obj[]): Listener {
  const set = translateProxy(buildProxyView(graphOf([workload, service, ...objects]), proxy), []);
  const l = set.listeners.find((x) => x.name === VIRTUAL_INBOUND)!;
  return fromBinary(ListenerSchema, toBinary(ListenerSchema, l));
}

function httpChainFilters(l: Listener) {
  const chain = l.filterChains.find((c) => c.filterChainMatch?.destinationPort === 8080 && c.filters[0]!.name === 'envoy.filters.network.http_connection_manager')!;
  const hcm = anyUnpack(chain.filters[0]!.configType.value as Any, HttpConnectionManagerSchema)!;
  return { filters: hcm.httpFilters, metadata: chain.metadata!.filterMetadata.meshproof as unknown as { rbac: Record<string, { notes?: string[] }> } };
}
const tcpChain = (l: Listener) => l.filterChains.find((c) => c.filterChainMatch?.destinationPort === 5432)!;
const rbacOf = (f: { configType: { value?: unknown } }) => anyUnpack(f.configType.value as Any, HttpRbacSchema)!;

test('GIVEN a CUSTOM policy naming an envoyExtAuthzHttp provider of the istio ConfigMap WHEN translated THEN the HTTP chain has a shadow-mode RBAC filter then ext_authz toward the provider\'s cluster, before the router', () => {
  const l = inbound([meshConfigMap(HTTP_PROVIDER), authzService('oauth2-proxy'), custom('ext', 'oauth2')]);
  const { filters, metadata } = httpChainFilters(l);
  assert.equal(filters.map((f) => f.name), ['envoy.filters.http.rbac', 'envoy.filters.http.ext_authz', 'envoy.filters.http.router']);
  const rbac = rbacOf(filters[0]!);
  assert.is(rbac.rules, undefined, 'CUSTOM rules are never enforced by the RBAC filter');
  assert.is(rbac.shadowRulesStatPrefix, 'istio_ext_authz_');
  assert.is(rbac.shadowRules!.action, RBAC_Action.DENY);
  assert.equal(Object.keys(rbac.shadowRules!.policies), ['istio-ext-authz-oauth2-ns[shop]-policy[ext]-rule[0]']);
  const ext = anyUnpack(filters[1]!.configType.value as Any, HttpExtAuthzSchema)!;
  assert.is(ext.services.case, 'httpService');
  const http = ext.services.value as Extract<typeof ext.services, { case: 'httpService' }>['value'];
  assert.is(http.serverUri!.httpUpstreamType.value, 'outbound|8000||oauth2-proxy.auth.svc.cluster.local');
  assert.is(http.serverUri!.uri, 'http://oauth2-proxy.auth.svc.cluster.local');
  assert.is(Number(http.serverUri!.timeout!.seconds), 2);
  assert.is(http.pathPrefix, '/check');
  assert.equal(http.authorizationRequest!.headersToAdd.map((h) => [h.key, h.value]), [['a-first', '1'], ['x-ext-authz', 'yes']]);
  assert.equal(http.authorizationResponse!.allowedUpstreamHeaders!.patterns.map((p) => p.matchPattern.value), ['x-user']);
  assert.equal(http.authorizationResponse!.allowedClientHeaders!.patterns.map((p) => p.matchPattern.value), ['www-authenticate']);
  assert.equal(ext.allowedHeaders!.patterns.map((p) => [p.matchPattern.case, p.matchPattern.value, p.ignoreCase]), [['exact', 'authorization', true], ['prefix', 'x-auth-', true]]);
  assert.is(ext.statusOnError!.code, 503);
  assert.is(ext.failureModeAllow, false);
  assert.is(ext.filterEnabledMetadata!.filter, 'envoy.filters.http.rbac');
  assert.equal(ext.filterEnabledMetadata!.path.map((p) => p.segment.value), ['istio_ext_authz_shadow_effective_policy_id']);
  const prefix = ext.filterEnabledMetadata!.value!.matchPattern.value as { matchPattern: { case: string; value: string } };
  // istiod's prefix ends with the provider name (generateFilterMatcherForProvider; `prefix: istio-ext-authz-default` in its golden files).
  assert.equal([prefix.matchPattern.case, prefix.matchPattern.value], ['prefix', 'istio-ext-authz-oauth2']);
  assert.match(metadata.rbac['istio-ext-authz-oauth2-ns[shop]-policy[ext]-rule[0]']!.notes![0]!, /checked by the authorizer at outbound\|8000\|\|oauth2-proxy\.auth\.svc\.cluster\.local; when it cannot be reached they are answered 503/);
  // An HTTP authorizer cannot check TCP connections: istiod leaves the policy out of TCP chains.
  assert.equal(tcpChain(l).filters.map((f) => f.name), ['envoy.filters.network.tcp_proxy']);
});

test('GIVEN an envoyExtAuthzGrpc provider (snake_case fields, namespace/host service) WHEN translated THEN HTTP chains call it over gRPC and TCP chains get network RBAC in shadow mode and the network ext_authz filter', () => {
  const l = inbound([meshConfigMap(GRPC_PROVIDER), authzService('opa'), custom('opa-check', 'opa')]);
  const ext = anyUnpack(httpChainFilters(l).filters[1]!.configType.value as Any, HttpExtAuthzSchema)!;
  assert.is(ext.services.case, 'grpcService');
  const grpc = ext.services.value as Extract<typeof ext.services, { case: 'grpcService' }>['value'];
  const envoyGrpc = grpc.targetSpecifier.value as { clusterName: string; authority: string };
  assert.equal([grpc.targetSpecifier.case, envoyGrpc.clusterName, envoyGrpc.authority], ['envoyGrpc', 'outbound|9000||opa.auth.svc.cluster.local', 'opa.auth.svc.cluster.local']);
  assert.is(Number(grpc.timeout!.seconds), 600, 'istiod\'s default timeout');
  assert.is(ext.failureModeAllow, true);
  const tcp = tcpChain(l);
  assert.equal(tcp.filters.map((f) => f.name), ['envoy.filters.network.rbac', 'envoy.filters.network.ext_authz', 'envoy.filters.network.tcp_proxy']);
  const netRbac = anyUnpack(tcp.filters[0]!.configType.value as Any, NetworkRbacSchema)!;
  assert.equal([netRbac.statPrefix, netRbac.shadowRulesStatPrefix, netRbac.rules], ['tcp.', 'istio_ext_authz_', undefined]);
  const netExt = anyUnpack(tcp.filters[1]!.configType.value as Any, NetworkExtAuthzSchema)!;
  assert.equal([netExt.statPrefix, netExt.filterEnabledMetadata!.filter, netExt.failureModeAllow], ['tcp.', 'envoy.filters.network.rbac', true]);
  const netPrefix = netExt.filterEnabledMetadata!.value!.matchPattern.value as { matchPattern: { case: string; value: string } };
  assert.equal([netPrefix.matchPattern.case, netPrefix.matchPattern.value], ['prefix', 'istio-ext-authz-opa']);
});

test('GIVEN providers istiod cannot use WHEN translated THEN the CUSTOM rules DENY what they match (getBadCustomDenyRules) and the metadata says why', () => {
  const cases: [string, Obj[], RegExp][] = [
    ['service not in the registry', [meshConfigMap(HTTP_PROVIDER), custom('ext', 'oauth2')], /could not find service oauth2-proxy\.auth\.svc\.cluster\.local in Istio service registry/],
    ['provider not in the MeshConfig', [meshConfigMap(HTTP_PROVIDER), authzService('oauth2-proxy'), custom('ext', 'oauth')], /available providers are \[oauth2\] but found "oauth"/],
    ['statusOnError not an HTTP status Envoy knows', [meshConfigMap(HTTP_PROVIDER.replace('"503"', '"999"')), authzService('oauth2-proxy'), custom('ext', 'oauth2')], /unsupported statusOnError 999/],
    ['pathPrefix without a leading slash', [meshConfigMap(HTTP_PROVIDER.replace('/check', 'check')), authzService('oauth2-proxy'), custom('ext', 'oauth2')], /pathPrefix must begin with `\/`/],
    ['the host in two namespaces without <namespace>/', [meshConfigMap(HTTP_PROVIDER.replace('oauth2-proxy.auth.svc.cluster.local', 'authz.example.com')),
      ...['auth', 'auth2'].map((ns) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'authz', namespace: ns }, spec: { hosts: ['authz.example.com'], ports: [{ number: 8000, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' } })),
      custom('ext', 'oauth2')], /found authz\.example\.com in multiple namespaces \[auth auth2\]/],
    ['two providers on one workload', [meshConfigMap(`${HTTP_PROVIDER}- name: opa\n  envoyExtAuthzGrpc: {service: opa.auth.svc.cluster.local, port: 9000}\n`), authzService('oauth2-proxy'), authzService('opa'), custom('ext', 'oauth2'), custom('opa-check', 'opa')], /multiple CUSTOM authorization providers per workload/],
  ];
  for (const [what, objects, why] of cases) {
    const { filters, metadata } = httpChainFilters(inbound(objects));
    assert.ok(!filters.some((f) => f.name === 'envoy.filters.http.ext_authz'), `${what}: no ext_authz filter`);
    const rbac = rbacOf(filters[0]!);
    assert.is(rbac.rules!.action, RBAC_Action.DENY, what);
    assert.ok(Object.keys(rbac.rules!.policies).every((n) => n.endsWith('-deny-due-to-bad-CUSTOM-action')), what);
    const note = Object.values(metadata.rbac).flatMap((r) => r.notes ?? []).find((n) => n.startsWith('CUSTOM'))!;
    assert.match(note, /is enforced as DENY: istiod cannot use the provider/, what);
    assert.match(note, why, what);
  }
});

test('GIVEN a provider whose service is <namespace>/<wildcard host> of a ServiceEntry WHEN translated THEN istiod finds it (LookupCluster reads hosts as written) and the ext_authz filter calls that host\'s cluster', () => {
  const mesh = 'extensionProviders:\n- name: edge\n  envoyExtAuthzGrpc: {service: "auth/*.authz.example.com", port: 9000}\n';
  const entry: Obj = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'authz', namespace: 'auth' },
    spec: { hosts: ['*.authz.example.com'], ports: [{ number: 9000, name: 'grpc', protocol: 'GRPC' }], resolution: 'NONE', location: 'MESH_EXTERNAL' } };
  const { filters } = httpChainFilters(inbound([meshConfigMap(mesh), entry, custom('edge-check', 'edge')]));
  assert.equal(filters.map((f) => f.name), ['envoy.filters.http.rbac', 'envoy.filters.http.ext_authz', 'envoy.filters.http.router']);
  const ext = anyUnpack(filters[1]!.configType.value as Any, HttpExtAuthzSchema)!;
  const grpc = ext.services.value as Extract<typeof ext.services, { case: 'grpcService' }>['value'];
  assert.is((grpc.targetSpecifier.value as { clusterName: string }).clusterName, 'outbound|9000||*.authz.example.com');
});

test('GIVEN xds serve reloading on its previous graph WHEN the MeshConfig edits the provider, then the provider\'s Service is removed THEN each next translation follows (nothing carries the old provider)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ext-authz-reload-'));
  const doc = (o: Obj) => JSON.stringify(o);
  const apps = (withOpa: boolean) => [workload, service, custom('opa-check', 'opa'), ...(withOpa ? [authzService('opa')] : [])].map(doc).join('\n---\n');
  const mesh = (port: number) => doc(meshConfigMap(`extensionProviders:\n- name: opa\n  envoyExtAuthzGrpc: {service: opa.auth.svc.cluster.local, port: ${port}}\n`));
  const reload = async (texts: [string, string], previous?: MeshGraph) => {
    writeFileSync(join(dir, 'apps.yaml'), texts[0]);
    writeFileSync(join(dir, 'mesh.yaml'), texts[1]);
    return MeshGraph.from((await loadInputs(['apps.yaml', 'mesh.yaml'], { cwd: dir })).files, previous ? { previous } : {});
  };
  const grpcCluster = (g: MeshGraph) => {
    const l = translateProxy(buildProxyView(g, proxy), []).listeners.find((x) => x.name === VIRTUAL_INBOUND)!;
    const ext = httpChainFilters(fromBinary(ListenerSchema, toBinary(ListenerSchema, l))).filters.find((f) => f.name === 'envoy.filters.http.ext_authz');
    if (!ext) return 'no ext_authz';
    const grpc = anyUnpack(ext.configType.value as Any, HttpExtAuthzSchema)!.services.value as unknown as { targetSpecifier: { value: { clusterName: string } } };
    return grpc.targetSpecifier.value.clusterName;
  };
  try {
    const g1 = await reload([apps(true), mesh(9000)]);
    const g2 = await reload([apps(true), mesh(8000)], g1);
    const g3 = await reload([apps(false), mesh(8000)], g2);
    assert.equal([grpcCluster(g1), grpcCluster(g2), grpcCluster(g3)], ['outbound|9000||opa.auth.svc.cluster.local', 'outbound|8000||opa.auth.svc.cluster.local', 'no ext_authz']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a dry-run CUSTOM policy beside an enforced one WHEN translated THEN the dry-run rule is in the RBAC filter\'s enforced rules (action DENY), as istiod puts it, and the enforced one in its shadow rules', () => {
  const { filters, metadata } = httpChainFilters(inbound([meshConfigMap(HTTP_PROVIDER), authzService('oauth2-proxy'), custom('ext', 'oauth2'), custom('try', 'oauth2', {}, { 'istio.io/dry-run': 'true' })]));
  const rbac = rbacOf(filters[0]!);
  assert.equal(Object.keys(rbac.shadowRules!.policies), ['istio-ext-authz-oauth2-ns[shop]-policy[ext]-rule[0]']);
  assert.equal(Object.keys(rbac.rules!.policies), ['istio-ext-authz-oauth2-ns[shop]-policy[try]-rule[0]']);
  assert.is(rbac.rules!.action, RBAC_Action.DENY);
  assert.match(metadata.rbac['istio-ext-authz-oauth2-ns[shop]-policy[try]-rule[0]']!.notes![0]!, /dry-run: istiod puts dry-run CUSTOM rules into the RBAC filter's enforced rules/);
});

test('GIVEN no CUSTOM policy WHEN the MeshConfig declares providers THEN no ext_authz filter is built (a provider alone changes nothing)', () => {
  const { filters } = httpChainFilters(inbound([meshConfigMap(HTTP_PROVIDER), authzService('oauth2-proxy')]));
  assert.equal(filters.map((f) => f.name), ['envoy.filters.http.router']);
});

test('GIVEN a proxy with CUSTOM policies of an HTTP and of a gRPC provider WHEN its snapshot is dumped as Envoy\'s config_dump THEN both ext_authz filters print with their type (the registry knows them) and the listeners survive a protobuf round trip', () => {
  for (const [mesh, svc, ap] of [[HTTP_PROVIDER, 'oauth2-proxy', custom('ext', 'oauth2')], [GRPC_PROVIDER, 'opa', custom('opa-check', 'opa')]] as const) {
    const set = translateProxy(buildProxyView(graphOf([workload, service, meshConfigMap(mesh), authzService(svc), ap]), proxy), []);
    const dump = JSON.stringify(configDump(createSnapshot(set)));
    assert.match(dump, /"@type":"type\.googleapis\.com\/envoy\.extensions\.filters\.http\.ext_authz\.v3\.ExtAuthz"/);
    for (const l of set.listeners) assert.equal(fromBinary(ListenerSchema, toBinary(ListenerSchema, l)), l);
  }
});

test.run();
