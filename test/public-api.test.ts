import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as checksApi from '../src/checks/api.js';
import * as api from '../src/index.js';

/**
 * What `import { … } from 'meshproof'` offers. A change here is a change of the public API:
 * make it on purpose (and in the README), never as a side effect of `export *`.
 */
const VALUES = [
  'AllowPolicy', 'CLUSTER_DOMAIN_CONTEXT', 'CanaryRelease', 'DefaultDenyPolicy', 'Duration', 'ExternalService',
  'HeaderSplit', 'IngressGateway', 'MeshApp', 'MeshNamespace', 'MeshService', 'MutualTlsGateway',
  'PeerAuthenticationPolicy', 'Percent', 'PolicyScope', 'PropError', 'RouteTable', 'SidecarScope', 'StringMatch',
  'TRUST_DOMAIN_CONTEXT', 'expect', 'meshSettingsOf',
];
const TYPES = [
  'AllowPolicyProps', 'AuthorizationAction', 'AuthorizationRule', 'CanaryMirror', 'CanaryReleaseProps',
  'ClientTlsMode', 'ClientTlsOptions', 'ConnectionPoolOptions', 'ConsistentHashOptions', 'CookieMatch', 'CookiePin',
  'CorsPolicy', 'DefaultDenyPolicyProps', 'Destination', 'DirectResponse', 'ExpectedRequest', 'ExpectedTarget', 'ExternalResolution',
  'ExternalServicePort', 'ExternalServiceProps', 'FaultAbort', 'FaultDelay', 'FaultInjection', 'HashCookie',
  'HeaderOperations', 'HeaderPin', 'HeaderPolicy', 'HeaderSplitProps', 'HeaderSplitRule',
  'HttpConnectionPoolOptions', 'HttpMethod', 'HttpRedirect', 'HttpRewrite', 'HttpRouteOptions', 'IRoutable',
  'IngressGatewayProps', 'IngressTlsMode', 'LoadBalancerOptions', 'MeshAppProps', 'MeshNamespaceProps',
  'MeshServicePort', 'MeshServiceProps', 'MeshServiceVersion', 'MeshSettings', 'MirrorPolicy', 'MtlsMode',
  'MutualTlsGatewayProps', 'OutboundTrafficMode', 'OutlierDetectionOptions', 'PeerAuthenticationPolicyProps',
  'PortProtocol', 'PortTrafficPolicyOptions', 'PropErrorCode', 'RequestCondition', 'RequestMatch',
  'RequestOperation', 'RequestSource', 'RetryOn', 'RetryPolicy', 'RouteDestination', 'RouteTableProps',
  'RouteTarget', 'SidecarScopeProps', 'SimpleLoadBalancer', 'SourceMapEntry', 'StringMatchKind', 'StringMatchSpec',
  'TcpConnectionPoolOptions', 'TlsOriginationOptions', 'TlsVersion', 'TrafficPolicyOptions',
];

const index = readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Names a module's source exports as types (`export type { … }`, `export { type … }`, `export interface`, `export type X =`). */
function exportedTypes(source: string): string[] {
  const braces = [...source.matchAll(/export (type )?\{([^}]*)\}/g)].flatMap((m) => m[2]!.split(',').map((n) => n.trim()).filter((n) => m[1] || n.startsWith('type ')).map((n) => n.replace(/^type /, '').split(' as ').pop()!.trim()));
  const declared = [...source.matchAll(/export (?:interface|type) (\w+)/g)].map((m) => m[1]!);
  return [...braces, ...declared];
}

/** What each package entry offers, by the specifier a user imports. */
const ENTRIES: Readonly<Record<string, ReadonlySet<string>>> = {
  meshproof: new Set([...Object.keys(api), ...exportedTypes(index)]),
  'meshproof/checks': new Set([...Object.keys(checksApi), ...exportedTypes(readFileSync(new URL('../src/checks/api.ts', import.meta.url), 'utf8'))]),
};

test('GIVEN the package entry point WHEN its runtime exports are listed THEN they are exactly the public constructs, value types, PropError, MeshApp and expect', () => {
  assert.equal(Object.keys(api).sort(), [...VALUES].sort());
});

test('GIVEN src/index.ts WHEN its exports are read THEN every name is listed one by one (no export *), types included, and no internal helper is among them', () => {
  assert.not.match(index, /export \*/);
  const named = [...index.matchAll(/export \{([^}]*)\}/g)].flatMap((m) => m[1]!.split(',').map((n) => n.trim()));
  assert.equal(named.filter((n) => n.startsWith('type ')).map((n) => n.slice(5)).sort(), [...TYPES].sort());
  assert.equal(named.filter((n) => !n.startsWith('type ')).sort(), [...VALUES].sort());
  assert.equal(named.filter((n) => /^(type )?(translate|check|to[A-Z]|prune|userFrame|formatError|escapeRe|STAGE_DIR)/.test(n)), []);
});

test('GIVEN the README example WHEN its names are looked up THEN MeshNamespace and the constructs it uses come from the entry point', () => {
  for (const name of ['MeshApp', 'MeshNamespace', 'MeshService', 'CanaryRelease', 'Duration', 'Percent'] as const) assert.type(api[name], 'function', name);
});

test('GIVEN the README WHEN the imports of its code examples are read THEN none reaches into this repository, and every name taken from meshproof or meshproof/checks is exported there', () => {
  const imports = [...readme.matchAll(/```\w*\n([\s\S]*?)```/g)].flatMap((block) => [...block[1]!.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)]);
  assert.ok(imports.some((m) => m[2] === 'meshproof'), 'the README shows no import from meshproof: this test reads it wrong');
  const problems: string[] = [];
  for (const [, names, from] of imports) {
    if (from!.startsWith('.') || from!.startsWith('/') || from!.startsWith('meshproof/lib')) { problems.push(`import from '${from}': a path inside the repository, which the package does not export`); continue; }
    const entry = ENTRIES[from!];
    if (!entry) { assert.not.ok(from!.startsWith('meshproof'), `the README imports from '${from}', which package.json does not export`); continue; }
    for (const name of names!.split(',').map((n) => n.trim().replace(/^type /, '')).filter(Boolean)) if (!entry.has(name)) problems.push(`${name} from '${from}' is not exported`);
  }
  assert.equal(problems, []);
});

test.run();
