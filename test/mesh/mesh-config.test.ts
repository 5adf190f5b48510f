import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { graphOf } from './_graph.js';
import {
  DEFAULT_MESH_CONFIG,
  DEFAULT_RETRY_ON,
  MeshContextError,
  dnsNameProblem,
  meshContextFrom,
  meshContextOrThrow,
  parseMeshConfig,
} from '../../src/mesh/mesh-config.js';

test('GIVEN no MeshConfig WHEN defaults are read THEN they are Istio\'s', () => {
  const c = DEFAULT_MESH_CONFIG;
  assert.equal(
    [c.rootNamespace, c.trustDomain, c.outboundTrafficPolicy.mode, c.ingressService, c.ingressSelector, c.enableAutoMtls, c.connectTimeoutMs],
    ['istio-system', 'cluster.local', 'ALLOW_ANY', 'istio-ingressgateway', 'ingressgateway', true, 10_000],
  );
  assert.equal(c.defaultHttpRetryPolicy, { attempts: 2, retryOn: DEFAULT_RETRY_ON, perTryTimeoutMs: null, retryRemoteLocalities: false, retryIgnorePreviousHosts: null, backoffMs: null });
  assert.equal([c.defaultServiceExportTo, c.defaultVirtualServiceExportTo, c.defaultDestinationRuleExportTo], [['*'], ['*'], ['*']]);
});

test('GIVEN a MeshConfig file WHEN parsed THEN its fields override the defaults (camelCase and snake_case)', () => {
  const text = [
    'rootNamespace: mesh-root',
    'trust_domain: corp.example',
    'outboundTrafficPolicy:',
    '  mode: REGISTRY_ONLY',
    'defaultServiceExportTo: ["."]',
    'defaultConfig:',
    '  holdApplicationUntilProxyStarts: true',
    'defaultHttpRetryPolicy:',
    '  attempts: 0',
    'connectTimeout: 2s',
  ].join('\n');
  const { meshConfig, problems } = parseMeshConfig(text, 'mesh.yaml');
  assert.equal(problems, []);
  assert.is(meshConfig.rootNamespace, 'mesh-root');
  assert.is(meshConfig.trustDomain, 'corp.example');
  assert.is(meshConfig.outboundTrafficPolicy.mode, 'REGISTRY_ONLY');
  assert.equal(meshConfig.defaultServiceExportTo, ['.']);
  assert.equal(meshConfig.defaultVirtualServiceExportTo, ['*']);
  assert.equal(meshConfig.defaultConfig, { holdApplicationUntilProxyStarts: true });
  assert.is(meshConfig.defaultHttpRetryPolicy.attempts, 0);
  assert.is(meshConfig.connectTimeoutMs, 2000);
});

test('GIVEN MeshConfig durations written as Go durations (1m30s, 1.5s, 0) WHEN parsed THEN they apply, as istiod\'s jsonpb decodes a Duration with time.ParseDuration', () => {
  const text = 'connectTimeout: 1m30s\nprotocolDetectionTimeout: "0"\ndefaultHttpRetryPolicy:\n  attempts: 2\n  perTryTimeout: 1.5s\n  backoff: 1s250ms\n';
  const { meshConfig, problems } = parseMeshConfig(text, 'mesh.yaml');
  assert.equal(problems, []);
  assert.is(meshConfig.connectTimeoutMs, 90_000);
  assert.is(meshConfig.protocolDetectionTimeoutMs, 0);
  assert.is(meshConfig.defaultHttpRetryPolicy.perTryTimeoutMs, 1500);
  assert.is(meshConfig.defaultHttpRetryPolicy.backoffMs, 1250);
});

test('GIVEN MeshConfig text with a second YAML document WHEN parsed THEN the first applies and the rest is a warning at its "---", as istiod\'s decoder (go-yaml v2 Unmarshal) reads the first document only', () => {
  const { meshConfig, problems, warnings } = parseMeshConfig('trustDomain: corp.example\n---\nconnectTimeout: fast\nrootNamespace: [\n', 'mesh.yaml');
  assert.equal(problems, []);
  assert.is(meshConfig.trustDomain, 'corp.example');
  assert.equal(warnings.map((w) => [w.code, w.location.line]), [['mesh-config/ignored-document', 2]]);
  assert.match(warnings[0]!.message, /istiod reads the first only .*Fix: remove the "---" line/);
  assert.equal(parseMeshConfig('trustDomain: corp.example\n---\n', 'mesh.yaml').warnings, [], 'an empty document after "---" says nothing');
});

test('GIVEN a MeshConfig defaultHttpRetryPolicy with every HTTPRetry field WHEN parsed THEN each is kept (snake_case too), as retry.ConvertPolicy reads them', () => {
  const text = ['defaultHttpRetryPolicy:', '  attempts: 4', '  retryOn: 5xx,reset', '  per_try_timeout: 750ms', '  retryRemoteLocalities: true', '  retryIgnorePreviousHosts: false', '  backoff: 100ms'].join('\n');
  const { meshConfig, problems } = parseMeshConfig(text, 'mesh.yaml');
  assert.equal(problems, []);
  assert.equal(meshConfig.defaultHttpRetryPolicy, { attempts: 4, retryOn: '5xx,reset', perTryTimeoutMs: 750, retryRemoteLocalities: true, retryIgnorePreviousHosts: false, backoffMs: 100 });
});

test('GIVEN a MeshConfig defaultHttpRetryPolicy without attempts WHEN parsed THEN attempts is 0 (proto3 default: ConvertPolicy then sends no retry policy) and retryOn Istio\'s default', () => {
  const { meshConfig, problems } = parseMeshConfig('defaultHttpRetryPolicy:\n  perTryTimeout: 1s\n', 'mesh.yaml');
  assert.equal(problems, []);
  assert.equal([meshConfig.defaultHttpRetryPolicy.attempts, meshConfig.defaultHttpRetryPolicy.retryOn, meshConfig.defaultHttpRetryPolicy.perTryTimeoutMs], [0, DEFAULT_RETRY_ON, 1000]);
});

test('GIVEN a MeshConfig of Istio 1.31 with defaultInboundHttpRetryPolicy WHEN parsed THEN it is a known field (no unknown-field problem), and a misspelling of it is told the right name', () => {
  assert.equal(parseMeshConfig('defaultInboundHttpRetryPolicy:\n  attempts: 3\n  retryOn: reset-before-request\n', 'mesh.yaml').problems, []);
  const { problems } = parseMeshConfig('defaultInboundHttpRetryPolicyy:\n  attempts: 3\n', 'mesh.yaml');
  assert.match(problems[0]!.message, /Fix: write "defaultInboundHttpRetryPolicy"/);
});

test('GIVEN no defaultInboundHttpRetryPolicy WHEN parsed THEN the inbound policy is Istio\'s built-in one: 2 retries on reset-before-request (retry.ConvertInboundPolicy(nil))', () => {
  const { meshConfig, problems } = parseMeshConfig('trustDomain: td.example\n', 'mesh.yaml');
  assert.equal(problems, []);
  assert.equal(meshConfig.defaultInboundHttpRetryPolicy, { attempts: 2, retryOn: 'reset-before-request', backoffMs: null });
});

test('GIVEN defaultInboundHttpRetryPolicy with attempts, retryOn and backoff WHEN parsed THEN they replace the built-in policy; without attempts it is 0 (inbound retries off); perTryTimeout is accepted and ignored', () => {
  const set = parseMeshConfig('default_inbound_http_retry_policy:\n  attempts: 4\n  retry_on: connect-failure,503\n  backoff: 50ms\n  perTryTimeout: 2s\n', 'mesh.yaml');
  assert.equal(set.problems, []);
  assert.equal(set.meshConfig.defaultInboundHttpRetryPolicy, { attempts: 4, retryOn: 'connect-failure,503', backoffMs: 50 });
  const off = parseMeshConfig('defaultInboundHttpRetryPolicy: {}\n', 'mesh.yaml');
  assert.equal(off.problems, []);
  assert.is(off.meshConfig.defaultInboundHttpRetryPolicy.attempts, 0);
});

test('GIVEN defaultInboundHttpRetryPolicy with perTryTimeout, retry_remote_localities and retryIgnorePreviousHosts WHEN parsed THEN each is a warning at its file:line naming the field and why istiod ignores it (ConvertInboundPolicy keeps attempts, retryOn, backoff); the policy is still used and the kept fields warn nothing', () => {
  const text = 'defaultInboundHttpRetryPolicy:\n  attempts: 3\n  perTryTimeout: 2s\n  retry_remote_localities: false\n  retryIgnorePreviousHosts: true\n  backoff: 10ms\n';
  const parsed = parseMeshConfig(text, 'mesh.yaml');
  assert.equal(parsed.problems, []);
  assert.equal(parsed.meshConfig.defaultInboundHttpRetryPolicy, { attempts: 3, retryOn: 'reset-before-request', backoffMs: 10 });
  assert.equal(parsed.warnings.map((w) => [w.code, w.location.file, w.location.line]), [
    ['mesh-config/ignored-field', 'mesh.yaml', 3], ['mesh-config/ignored-field', 'mesh.yaml', 4], ['mesh-config/ignored-field', 'mesh.yaml', 5],
  ]);
  assert.match(parsed.warnings[0]!.message, /^MeshConfig defaultInboundHttpRetryPolicy\.perTryTimeout is ignored: istiod builds the inbound retry policy from attempts, retryOn and backoff only \(retry\.ConvertInboundPolicy\), since /);
  assert.match(parsed.warnings[1]!.message, /defaultInboundHttpRetryPolicy\.retryRemoteLocalities is ignored: .* no other locality/);
  assert.match(parsed.warnings[2]!.message, /defaultInboundHttpRetryPolicy\.retryIgnorePreviousHosts is ignored: .* no other host/);
  assert.equal(parseMeshConfig('defaultInboundHttpRetryPolicy:\n  attempts: 3\n  retryOn: 5xx\n  backoff: 10ms\ndefaultHttpRetryPolicy:\n  attempts: 2\n  perTryTimeout: 1s\n', 'mesh.yaml').warnings, [], 'kept fields, and the outbound policy, which honours perTryTimeout');
  assert.equal(meshContextFrom({ meshConfig: { text, file: 'mesh.yaml' } }).warnings.length, 3, 'the mesh context carries them');
});

test('GIVEN bad defaultInboundHttpRetryPolicy values WHEN parsed THEN each is a problem at its file:line, as istiod refuses the MeshConfig', () => {
  const text = 'trustDomain: td.example\ndefaultInboundHttpRetryPolicy:\n  attempts: -1\n  backof: 1s\n';
  const { problems } = parseMeshConfig(text, 'mesh.yaml');
  assert.equal(problems.map((p) => [p.code, p.location.line]), [['mesh-config/bad-value', 3], ['mesh-config/unknown-field', 4]]);
  assert.match(problems[0]!.message, /defaultInboundHttpRetryPolicy\.attempts must be a whole number ≥ 0/);
  assert.match(problems[1]!.message, /Fix: write "backoff"/);
  const zero = parseMeshConfig('defaultInboundHttpRetryPolicy:\n  attempts: 0\n  backoff: 1s\n', 'mesh.yaml').problems;
  assert.equal(zero.map((p) => [p.code, p.location.line]), [['mesh-config/bad-value', 2]]);
  assert.match(zero[0]!.message, /sets backoff with attempts 0, which disables inbound retries/);
  const unset = parseMeshConfig('defaultInboundHttpRetryPolicy:\n  retryOn: 5xx\n', 'mesh.yaml').problems;
  assert.equal(unset.map((p) => [p.code, p.location.line]), [['mesh-config/bad-value', 2]]);
  assert.match(unset[0]!.message, /retryOn with attempts unset \(0\)/);
});

test('GIVEN an outbound defaultHttpRetryPolicy with values istiod does not validate WHEN read as istiod reads the ConfigMap THEN the MeshConfig applies, negative attempts and a 0 per-try timeout warn, a 0 back-off (Envoy refuses it) is an accepted-by-istiod error; read strictly (--mesh-config) each is a problem', () => {
  const text = 'outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\ndefaultHttpRetryPolicy:\n  attempts: -1\n  perTryTimeout: 0s\n  backoff: 0s\n';
  const asIstiod = parseMeshConfig(text, 'mesh.yaml', { unknownFields: 'ignore' });
  assert.is(asIstiod.meshConfig.outboundTrafficPolicy.mode, 'REGISTRY_ONLY', 'istiod applies it');
  assert.is(asIstiod.meshConfig.defaultHttpRetryPolicy.attempts, -1);
  assert.equal(asIstiod.warnings.map((w) => [w.code, w.location.line]), [['mesh-config/not-validated', 4], ['mesh-config/not-validated', 5]]);
  assert.equal(asIstiod.problems.map((p) => [p.code, p.location.line, p.acceptedByIstiod]), [['mesh-config/bad-value', 6, true]]);
  assert.match(asIstiod.problems[0]!.message, /base_interval must be > 0/);
  const strict = parseMeshConfig(text, 'mesh.yaml');
  assert.is(strict.meshConfig, DEFAULT_MESH_CONFIG);
  assert.equal(strict.problems.map((p) => p.location.line), [4, 5, 6]);
  // The inbound default is validated by istiod: the same values refuse the MeshConfig.
  const inbound = parseMeshConfig('defaultInboundHttpRetryPolicy:\n  attempts: -1\n', 'mesh.yaml', { unknownFields: 'ignore' });
  assert.is(inbound.meshConfig, DEFAULT_MESH_CONFIG);
  assert.ok(inbound.problems.every((p) => p.acceptedByIstiod === undefined));
});

test('GIVEN retryOn conditions Istio does not know in the default retry policies WHEN read as istiod reads the ConfigMap THEN the inbound one refuses the MeshConfig (validateHTTPRetry, entries as written), the outbound one warns (unvalidated; istiod trims entries, so "5xx, reset" is fine there)', () => {
  const inbound = parseMeshConfig('defaultInboundHttpRetryPolicy:\n  attempts: 2\n  retryOn: bogus,5xx\n', 'mesh.yaml', { unknownFields: 'ignore' });
  assert.is(inbound.meshConfig, DEFAULT_MESH_CONFIG);
  assert.equal(inbound.problems.map((p) => [p.code, p.location.line]), [['mesh-config/bad-value', 3]]);
  assert.match(inbound.problems[0]!.message, /"bogus" is not a retry condition/);
  const outbound = parseMeshConfig('defaultHttpRetryPolicy:\n  attempts: 2\n  retryOn: 5xx, reset,retriable-4x\n', 'mesh.yaml', { unknownFields: 'ignore' });
  assert.equal(outbound.problems, []);
  assert.equal(outbound.warnings.map((w) => [w.code, w.location.line]), [['mesh-config/not-validated', 3]]);
  assert.match(outbound.warnings[0]!.message, /"retriable-4x" is not a retry condition/);
  assert.not.match(outbound.warnings[0]!.message, /" reset"/);
  assert.is(outbound.meshConfig.defaultHttpRetryPolicy.retryOn, '5xx, reset,retriable-4x', 'applied as istiod applies it');
  // Read strictly (--mesh-config), the spaced entry is refused too.
  assert.equal(parseMeshConfig('defaultHttpRetryPolicy:\n  attempts: 2\n  retryOn: 5xx, reset\n', 'mesh.yaml').problems.map((p) => p.code), ['mesh-config/bad-value']);
});

test('GIVEN quoted integers (proxyListenPort: "15001", attempts: "3") WHEN read as istiod reads the ConfigMap THEN they are the numbers, as jsonpb decodes proto3 JSON; read strictly (--mesh-config) they are refused', () => {
  const text = 'proxyListenPort: "15001"\ndefaultHttpRetryPolicy:\n  attempts: "3"\ndefaultInboundHttpRetryPolicy:\n  attempts: "4"\n  retryOn: reset-before-request\n';
  const asIstiod = parseMeshConfig(text, 'mesh.yaml', { unknownFields: 'ignore' });
  assert.equal([asIstiod.problems, asIstiod.warnings], [[], []]);
  assert.is(asIstiod.meshConfig.defaultHttpRetryPolicy.attempts, 3);
  assert.is(asIstiod.meshConfig.defaultInboundHttpRetryPolicy.attempts, 4);
  assert.equal(parseMeshConfig(text, 'mesh.yaml').problems.filter((p) => p.message.includes('must be an integer')).map((p) => p.location.line), [1, 3, 5]);
  // Not an integer, even quoted: refused either way.
  assert.equal(parseMeshConfig('proxyListenPort: "lots"\n', 'mesh.yaml', { unknownFields: 'ignore' }).problems.map((p) => p.code), ['mesh-config/bad-value']);
});

test('GIVEN the istio ConfigMap WHEN parsed as MeshConfig THEN data.mesh is read', () => {
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio}\ndata:\n  mesh: |\n    trustDomain: td.example\n';
  const { meshConfig, problems } = parseMeshConfig(text, 'cm.yaml');
  assert.equal(problems, []);
  assert.is(meshConfig.trustDomain, 'td.example');
});

test('GIVEN bad MeshConfig files WHEN parsed THEN each problem has a code, file:line and a fix', () => {
  const table: [string, string, number, RegExp][] = [
    ['rootNamespace: a\nrootNamspace: b\n', 'mesh-config/unknown-field', 2, /unknown MeshConfig field "rootNamspace".*Fix: write "rootNamespace"/],
    ['trustDomain: x\nfooBar: 1\n', 'mesh-config/unknown-field', 2, /Fix: remove it/],
    ['enableAutoMtls: "maybe"\n', 'mesh-config/bad-value', 1, /enableAutoMtls must be true or false/],
    ['outboundTrafficPolicy:\n  mode: ALLOW_SOME\n', 'mesh-config/bad-value', 2, /ALLOW_ANY, REGISTRY_ONLY; got "ALLOW_SOME"/],
    ['outboundTrafficPolicy:\n  mod: ALLOW_ANY\n', 'mesh-config/unknown-field', 2, /unknown field "mod"/],
    ['rootNamespace: Istio_System\n', 'mesh-config/bad-value', 1, /not a namespace name/],
    ['trustDomain: Corp_Example.com\n', 'mesh-config/bad-value', 1, /trustDomain "Corp_Example.com" is not a trust domain istiod accepts \(ValidateTrustDomain\): the label "Corp_Example"/],
    ['trustDomain: ""\n', 'mesh-config/bad-value', 1, /trustDomain "" is not a trust domain istiod accepts \(ValidateTrustDomain\): it is empty/],
    ['trustDomain: corp.example\ntrustDomainAliases:\n- old.example.\n- "old example"\n', 'mesh-config/bad-value', 4, /trustDomainAliases\[1\] "old example" is not a trust domain/],
    ['defaultServiceExportTo: ["*", "Bad NS"]\n', 'mesh-config/bad-value', 1, /defaultServiceExportTo\[1\]/],
    ['connectTimeout: 10\n', 'mesh-config/bad-value', 1, /duration/],
    ['trustDomain: a.example\nconnectTimeout: 0s\n', 'mesh-config/bad-value', 2, /connectTimeout must be from 1ms to 1h in whole milliseconds \(Istio ValidateConnectTimeout\); got "0s"/],
    ['connectTimeout: 2h\n', 'mesh-config/bad-value', 1, /connectTimeout must be from 1ms to 1h/],
    ['proxyListenPort: 70000\n', 'mesh-config/bad-value', 1, /proxyListenPort must be a port from 1 to 65535 \(Istio ValidatePort\); got 70000/],
    ['proxyListenPort: 0\n', 'mesh-config/bad-value', 1, /proxyListenPort must be a port/],
    ['connectTimeout: 1500us\n', 'mesh-config/bad-value', 1, /connectTimeout must be from 1ms to 1h in whole milliseconds/],
    ['protocolDetectionTimeout: 0.5ms\n', 'mesh-config/bad-value', 1, /protocolDetectionTimeout must be whole milliseconds \(Istio ValidateProtocolDetectionTimeout\); got "0.5ms"/],
    ['defaultHttpRetryPolicy:\n  attempts: -1\n', 'mesh-config/bad-value', 2, /attempts must be a whole number/],
    ['defaultHttpRetryPolicy:\n  attempts: 2\n  perTryTimeOut: 1s\n', 'mesh-config/unknown-field', 3, /unknown field "perTryTimeOut" in MeshConfig defaultHttpRetryPolicy \(an HTTPRetry\)\. Fix: write "perTryTimeout"/],
    ['defaultHttpRetryPolicy:\n  attempts: 2\n  perTryTimeout: 2\n', 'mesh-config/bad-value', 3, /defaultHttpRetryPolicy\.perTryTimeout must be a duration such as "10s".*; got 2/],
    ['defaultHttpRetryPolicy:\n  attempts: 2\n  backoff: 0s\n', 'mesh-config/bad-value', 3, /defaultHttpRetryPolicy\.backoff must be at least 1ms/],
    ['defaultHttpRetryPolicy:\n  attempts: 2\n  retryIgnorePreviousHosts: "no"\n', 'mesh-config/bad-value', 3, /defaultHttpRetryPolicy\.retryIgnorePreviousHosts must be true or false/],
    ['defaultHttpRetryPolicy:\n  attempts: "3"\n', 'mesh-config/bad-value', 2, /defaultHttpRetryPolicy\.attempts must be an integer; got "3"/],
    ['- a\n- b\n', 'mesh-config/syntax', 1, /must be a YAML mapping/],
    ['rootNamespace: [a\n', 'mesh-config/syntax', 2, /not valid YAML/],
    ['trustDomain: a\ntrustDomain: b\n', 'mesh-config/syntax', 2, /not valid YAML/],
  ];
  for (const [text, code, line, message] of table) {
    const { meshConfig, problems } = parseMeshConfig(text, 'mesh.yaml');
    assert.ok(problems.length >= 1, text);
    assert.is(problems[0]!.code, code, text);
    assert.is(problems[0]!.location.file, 'mesh.yaml');
    assert.is(problems[0]!.location.line, line, text);
    assert.match(problems[0]!.message, message, text);
    assert.is(meshConfig, DEFAULT_MESH_CONFIG, 'a bad file never yields a half-applied config');
  }
});

test('GIVEN cluster domains WHEN validated THEN only DNS names pass', () => {
  const table: [string, boolean][] = [
    ['cluster.local', true], ['corp.example', true], ['k8s', true], ['a-b.c1', true],
    ['', false], ['Cluster.Local', false], ['cluster..local', false], ['.local', false], ['-x.local', false],
    ['under_score.local', false], [`${'a'.repeat(64)}.local`, false], ['x.local.', false],
  ];
  for (const [name, ok] of table) assert.is(dnsNameProblem(name) === null, ok, name);
});

test('GIVEN a cluster domain that is not a DNS name WHEN the context is built THEN the error names where and how to fix', () => {
  const at = { file: 'meshproof.config.yaml', line: 3, column: 16 };
  const { problems } = meshContextFrom({ clusterDomain: { value: 'my_cluster', at } });
  assert.is(problems.length, 1);
  assert.is(problems[0]!.code, 'mesh-config/cluster-domain');
  assert.equal(problems[0]!.location, at);
  assert.match(problems[0]!.message, /"my_cluster" is not a DNS name.*Fix:/);
  assert.throws(() => meshContextOrThrow({ clusterDomain: { value: 'my_cluster', at } }), (e: unknown) => e instanceof MeshContextError && /meshproof.config.yaml:3:16/.test((e as Error).message));
});

test('GIVEN a mesh context WHEN the graph is built THEN hosts, root namespace and trust domain follow it', () => {
  const context = meshContextOrThrow({
    meshConfig: { text: 'rootNamespace: mesh-root\ntrustDomain: corp.example\n', file: 'mesh.yaml' },
    clusterDomain: { value: 'k8s.corp', at: { file: '--cluster-domain', line: 1, column: 1 } },
  });
  const graph = graphOf([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'prod' }, spec: { ports: [{ port: 80, name: 'http' }] } }], { context });
  assert.is(graph.meshConfig.rootNamespace, 'mesh-root');
  assert.is(graph.rootNamespace, 'mesh-root');
  assert.is(graph.trustDomain, 'corp.example');
  assert.is(graph.resolveHost('reviews', 'prod').fqdn, 'reviews.prod.svc.k8s.corp');
  assert.is(graph.servicesForHost('reviews', 'prod').length, 1);
  assert.is(graph.servicesForHost('reviews.prod.svc.cluster.local', 'prod').length, 0, 'cluster.local is not hard-wired');
  const g2 = graphOf([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'prod' }, spec: { serviceAccountName: 'reviews', containers: [{ name: 'c' }] } }], { context });
  assert.is(g2.principalOf(g2.workloads.all[0]!), 'corp.example/ns/prod/sa/reviews');
});

test.run();
