import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extensionProvidersOf, isExtAuthzProvider } from '../../src/mesh/extension-providers.js';
import { parseMeshConfig } from '../../src/mesh/mesh-config.js';

const providers = (text: string) => extensionProvidersOf(parseMeshConfig(text, 'mesh.yaml', { unknownFields: 'ignore' }).meshConfig);

test('GIVEN no extensionProviders WHEN read THEN Istio\'s built-in providers are there (prometheus, stackdriver, envoy), none of them an authorizer', () => {
  const p = providers('rootNamespace: istio-system\n');
  assert.equal([...p.byName.keys()], ['prometheus', 'stackdriver', 'envoy']);
  assert.equal([...p.byName.values()].filter(isExtAuthzProvider), []);
});

test('GIVEN a provider named twice and one named like a built-in WHEN read THEN the later entry replaces the earlier one in its place, as istiod\'s ApplyMeshConfig merges by name (no "duplicate" problem)', () => {
  const p = providers(`extensionProviders:
- name: authz
  envoyExtAuthzHttp: {service: a.auth.svc.cluster.local, port: 80}
- name: envoy
  envoyExtAuthzGrpc: {service: b.auth.svc.cluster.local, port: 9000}
- name: authz
  envoyExtAuthzHttp: {service: c.auth.svc.cluster.local, port: 8080}
`);
  assert.equal([...p.byName.keys()], ['prometheus', 'stackdriver', 'envoy', 'authz']);
  const authz = p.byName.get('authz');
  assert.ok(isExtAuthzProvider(authz) && authz.service === 'c.auth.svc.cluster.local' && authz.problems.length === 0);
  const envoy = p.byName.get('envoy');
  assert.ok(isExtAuthzProvider(envoy) && envoy.kind === 'envoyExtAuthzGrpc');
});

test('GIVEN ext_authz providers istiod refuses WHEN read THEN each carries istiod\'s reason', () => {
  const p = providers(`extensionProviders:
- name: Bad_Name
  envoyExtAuthzHttp: {service: a.auth.svc.cluster.local, port: 80}
- name: noport
  envoyExtAuthzGrpc: {service: b.auth.svc.cluster.local}
- name: star
  envoyExtAuthzHttp: {service: c.auth.svc.cluster.local, port: 80, headersToUpstreamOnAllow: ["*"], timeout: soon}
- name: ""
  envoyExtAuthzHttp: {service: d.auth.svc.cluster.local, port: 80}
`);
  const problems = (n: string) => { const x = p.byName.get(n); return isExtAuthzProvider(x) ? x.problems.join('; ') : 'not an authorizer'; };
  assert.match(problems('Bad_Name'), /uppercase letters not allowed/);
  assert.match(problems('noport'), /port must be in the range \[1, 65535\], found: 0/);
  assert.match(problems('star'), /a single wildcard \("\*"\) is not supported.*HeadersToUpstreamOnAllow/);
  assert.match(problems('star'), /timeout must be a duration/);
  assert.equal(p.unnamed, [{ index: 3, problem: 'extension provider name must not be empty, found empty at index: 3' }]);
});

test('GIVEN provider services in the forms istiod\'s validateExtensionProviderService reads WHEN read THEN only what it refuses carries a problem: short names after <namespace>/, a port, a partial wildcard, a bad namespace', () => {
  const cases: [service: string, problem: RegExp | null][] = [
    ['auth/ext-authz', /short names \(non FQDN\) are not allowed/],
    ['auth/*.authz.example.com', null],
    ['*/ext-authz.auth.svc.cluster.local', null],
    ['~auth/ext-authz.auth.svc.cluster.local', null],
    ['Auth/ext-authz.auth.svc.cluster.local', /invalid namespace value "Auth"/],
    ['auth/ext*.example.com', /partial wildcard/],
    ['a/b/c.example.com', /invalid service a\/b\/c\.example\.com/],
    ['ext-authz', null],
    ['ext-authz.auth.svc.cluster.local.', null],
    ['10.0.0.7', null],
    ['fe80::1', null],
    ['ext-authz:9000', /invalid service fmt ext-authz:9000: ext-authz:9000 is not a valid IP/],
    ['ext-authz.123', /invalid service fmt/],
    ['*.authz.example.com', /invalid service fmt/],
  ];
  for (const [service, problem] of cases) {
    const p = providers(`extensionProviders:\n- name: authz\n  envoyExtAuthzGrpc: {service: "${service}", port: 9000}\n`).byName.get('authz');
    assert.ok(isExtAuthzProvider(p), service);
    if (problem === null) assert.equal(p.problems, [], service);
    else assert.match(p.problems.join('; '), problem, service);
  }
});

test.run();
