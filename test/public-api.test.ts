import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as api from '../src/index.js';

/**
 * What `import { … } from 'meshproof'` offers. A change here is a change of the public API:
 * make it on purpose (and in the README), never as a side effect of `export *`.
 */
const VALUES = [
  'AllowPolicy', 'CLUSTER_DOMAIN_CONTEXT', 'CanaryRelease', 'DefaultDenyPolicy', 'Duration', 'ExternalService',
  'HeaderSplit', 'IngressGateway', 'MeshApp', 'MeshNamespace', 'MeshService', 'MutualTlsGateway',
  'PeerAuthenticationPolicy', 'Percent', 'PolicyScope', 'PropError', 'RouteTable', 'SidecarScope', 'StringMatch',
  'TRUST_DOMAIN_CONTEXT', 'meshSettingsOf',
];
const TYPES = [
  'AllowPolicyProps', 'AuthorizationAction', 'AuthorizationRule', 'CanaryMirror', 'CanaryReleaseProps',
  'ClientTlsMode', 'ClientTlsOptions', 'ConnectionPoolOptions', 'ConsistentHashOptions', 'CookieMatch', 'CookiePin',
  'CorsPolicy', 'DefaultDenyPolicyProps', 'Destination', 'DirectResponse', 'ExternalResolution',
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

test('GIVEN the package entry point WHEN its runtime exports are listed THEN they are exactly the public constructs, value types, PropError and MeshApp', () => {
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

test.run();
