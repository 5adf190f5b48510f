/**
 * Constructs refuse what the Kubernetes API server or Istio's webhook would refuse (and a few
 * values that would be accepted but mean something else than they say), at construction, with a
 * PropError naming construct path, field and value. One test per case.
 */
import { Chart, Testing } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AllowPolicy } from '../../src/constructs/authorization-policy.js';
import { CanaryRelease } from '../../src/constructs/canary-release.js';
import { ExternalService } from '../../src/constructs/external-service.js';
import { IngressGateway } from '../../src/constructs/ingress-gateway.js';
import { MeshService, type MeshServiceProps } from '../../src/constructs/mesh-service.js';
import { PeerAuthenticationPolicy, PolicyScope } from '../../src/constructs/peer-authentication.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { SidecarScope } from '../../src/constructs/sidecar-scope.js';
import { only, synth, throwsProp } from '../_synth.js';

const good: MeshServiceProps = {
  name: 'reviews',
  ports: [{ port: 9080, protocol: 'http' }],
  versions: [{ name: 'v1', image: 'reviews:1' }],
};
const mesh = (props: Partial<MeshServiceProps>) => () => synth((c) => new MeshService(c, 'reviews', { ...good, ...props }));
const version = (v: Partial<MeshServiceProps['versions'][number]>) => mesh({ versions: [{ name: 'v1', image: 'reviews:1', ...v }] });

// Names

test('GIVEN a Service name starting with a digit WHEN constructing a MeshService THEN it is refused as not DNS-1035', () => {
  const err = throwsProp(mesh({ name: '1reviews' }), { code: 'MP_INVALID_NAME', field: 'name', path: 'test/reviews', value: '1reviews' });
  assert.match(err.message, /DNS-1035/);
});

test('GIVEN a Service name of 64 characters WHEN constructing a MeshService THEN it is refused', () => {
  throwsProp(mesh({ name: `r${'e'.repeat(63)}` }), { code: 'MP_INVALID_NAME', field: 'name', path: 'test/reviews' });
});

test('GIVEN a RouteTable name with an upper-case letter WHEN constructed THEN it is refused as not DNS-1123', () => {
  throwsProp(() => synth((c) => new RouteTable(c, 'routes', { name: 'Reviews', hosts: ['reviews'] })),
    { code: 'MP_INVALID_NAME', field: 'name', path: 'test/routes', value: 'Reviews' });
});

test('GIVEN a RouteTable namespace with "_" WHEN constructed THEN it is refused as not DNS-1123', () => {
  throwsProp(() => synth((c) => new RouteTable(c, 'routes', { name: 'reviews', namespace: 'book_info', hosts: ['reviews'] })),
    { code: 'MP_INVALID_NAME', field: 'namespace', value: 'book_info' });
});

test('GIVEN an IngressGateway namespace with upper case WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new IngressGateway(c, 'gw', { hosts: ['a.example'], credentialName: 'cert', namespace: 'Edge' })),
    { code: 'MP_INVALID_NAME', field: 'namespace', value: 'Edge' });
});

// Workloads

test('GIVEN a blank image WHEN constructing a MeshService THEN MP_INVALID_IMAGE names it', () => {
  throwsProp(version({ image: '   ' }), { code: 'MP_INVALID_IMAGE', field: 'versions[0].image', path: 'test/reviews', value: '   ' });
});

test('GIVEN an image with trailing whitespace WHEN constructing a MeshService THEN it is refused', () => {
  throwsProp(version({ image: 'reviews:1 ' }), { code: 'MP_INVALID_IMAGE', field: 'versions[0].image', value: 'reviews:1 ' });
});

test('GIVEN an env name containing "=" WHEN constructing a MeshService THEN MP_INVALID_ENV explains the split', () => {
  const err = throwsProp(version({ env: { 'LOG_LEVEL=debug': 'x' } }),
    { code: 'MP_INVALID_ENV', field: 'versions[0].env.LOG_LEVEL=debug', path: 'test/reviews', value: 'LOG_LEVEL=debug' });
  assert.match(err.message, /"=" separates name from value/);
});

test('GIVEN an env name starting with a digit WHEN constructing a MeshService THEN it is refused', () => {
  throwsProp(version({ env: { '1ST': 'x' } }), { code: 'MP_INVALID_ENV', field: 'versions[0].env.1ST', value: '1ST' });
});

test('GIVEN an env name with a space WHEN constructing a MeshService THEN it is refused', () => {
  throwsProp(version({ env: { 'LOG LEVEL': 'x' } }), { code: 'MP_INVALID_ENV', field: 'versions[0].env.LOG LEVEL' });
});

test('GIVEN valid env names with ".", "-" and "_" WHEN synthesized THEN they are kept', () => {
  const d = only(synth((c) => new MeshService(c, 'reviews', { ...good, versions: [{ name: 'v1', image: 'reviews:1', env: { 'a.b-c_D': '1', constructor: '2' } }] })), 'Deployment');
  assert.equal(d.spec.template.spec.containers[0].env, [{ name: 'a.b-c_D', value: '1' }, { name: 'constructor', value: '2' }]);
});

test('GIVEN replicas 2^31 WHEN constructing a MeshService THEN it is refused as past int32', () => {
  throwsProp(version({ replicas: 2 ** 31 }), { code: 'MP_INVALID_PROP', field: 'versions[0].replicas', path: 'test/reviews', value: 2 ** 31 });
});

test('GIVEN replicas 2^31-1 WHEN synthesized THEN it is accepted', () => {
  const d = only(synth((c) => new MeshService(c, 'reviews', { ...good, versions: [{ name: 'v1', image: 'reviews:1', replicas: 2 ** 31 - 1 }] })), 'Deployment');
  assert.is(d.spec.replicas, 2 ** 31 - 1);
});

// Gateway

test('GIVEN httpsPort 80 with the default HTTP redirect WHEN constructing an IngressGateway THEN the port clash is refused', () => {
  const err = throwsProp(() => synth((c) => new IngressGateway(c, 'gw', { hosts: ['a.example'], credentialName: 'cert', httpsPort: 80 })),
    { code: 'MP_INVALID_PORT', field: 'httpsPort', path: 'test/gw', value: 80 });
  assert.match(err.message, /httpsRedirect: false/);
});

test('GIVEN httpsPort 80 without the redirect WHEN synthesized THEN one HTTPS server on 80 is accepted', () => {
  const gw = only(synth((c) => new IngressGateway(c, 'gw', { hosts: ['a.example'], credentialName: 'cert', httpsPort: 80, httpsRedirect: false,
    defaultRoute: { directResponse: { status: 204 } } })), 'Gateway');
  assert.equal(gw.spec.servers.map((s: { port: { number: number } }) => s.port.number), [80]);
});

// exportTo

test('GIVEN exportTo [] on a RouteTable WHEN constructed THEN it is refused: Istio reads [] as every namespace', () => {
  const err = throwsProp(() => synth((c) => new RouteTable(c, 'routes', { name: 'reviews', hosts: ['reviews'], exportTo: [] })),
    { code: 'MP_INVALID_EXPORT_TO', field: 'exportTo', path: 'test/routes', value: [] });
  assert.match(err.message, /every namespace/);
});

test('GIVEN exportTo [] on an ExternalService WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new ExternalService(c, 'api', { name: 'api', hosts: ['api.example.com'], exportTo: [] })),
    { code: 'MP_INVALID_EXPORT_TO', field: 'exportTo', value: [] });
});

test('GIVEN exportTo [] in MeshService DestinationRule overrides WHEN constructed THEN it is refused', () => {
  throwsProp(mesh({ overrides: { exportTo: [] } }), { code: 'MP_INVALID_EXPORT_TO', field: 'overrides.exportTo', value: [] });
});

test('GIVEN exportTo with "*" and another entry WHEN constructed THEN it is refused as Istio does', () => {
  throwsProp(() => synth((c) => new RouteTable(c, 'routes', { name: 'reviews', hosts: ['reviews'], exportTo: ['.', '*'] })),
    { code: 'MP_INVALID_EXPORT_TO', field: 'exportTo' });
});

test('GIVEN exportTo "." and the own namespace WHEN constructed THEN the duplicate is refused as Istio does', () => {
  throwsProp(() => synth((c) => new RouteTable(c, 'routes', { name: 'reviews', namespace: 'shop', hosts: ['reviews'], exportTo: ['shop', '.'] })),
    { code: 'MP_INVALID_EXPORT_TO', field: 'exportTo[1]', value: '.' });
});

test('GIVEN exportTo "~" on a RouteTable WHEN constructed THEN it is refused (ServiceEntries only)', () => {
  throwsProp(() => synth((c) => new RouteTable(c, 'routes', { name: 'reviews', hosts: ['reviews'], exportTo: ['~'] })),
    { code: 'MP_INVALID_EXPORT_TO', field: 'exportTo[0]', value: '~' });
});

// retryOn

const canary = (retries: object) => () => synth((c) => {
  const svc = new MeshService(c, 'reviews', { ...good, versions: [{ name: 'v1', image: 'r:1' }, { name: 'v2', image: 'r:2' }] });
  new CanaryRelease(c, 'canary', { service: svc, stable: 'v1', canary: 'v2', canaryWeight: 10, retries: retries as never });
});

test('GIVEN retryOn "5xxx" WHEN constructing a CanaryRelease THEN MP_INVALID_RETRY_ON names the entry', () => {
  const err = throwsProp(canary({ attempts: 2, retryOn: ['5xx', '5xxx'] }),
    { code: 'MP_INVALID_RETRY_ON', field: 'retries.retryOn[1]', path: 'test/canary', value: '5xxx' });
  assert.match(err.message, /deadline-exceeded/);
});

test('GIVEN retryOn status code "999" WHEN constructing THEN it is refused (not an HTTP status Istio knows)', () => {
  throwsProp(canary({ attempts: 2, retryOn: ['999'] }), { code: 'MP_INVALID_RETRY_ON', field: 'retries.retryOn[0]', value: '999' });
});

test('GIVEN Envoy and gRPC retryOn names and status "503" WHEN synthesized THEN they are joined as Istio expects', () => {
  const vs = only(canary({ attempts: 2, retryOn: ['reset-before-request', 'retriable-headers', 'resource-exhausted', 'deadline-exceeded', '503'] })(), 'VirtualService');
  assert.is(vs.spec.http[0].retries.retryOn, 'reset-before-request,retriable-headers,resource-exhausted,deadline-exceeded,503');
});

test('GIVEN retryOn with attempts 0 WHEN constructing THEN it is refused as Istio does', () => {
  throwsProp(canary({ attempts: 0, retryOn: ['5xx'] }), { code: 'MP_INVALID_PROP', field: 'retries.retryOn' });
});

// DestinationRule host

test('GIVEN an empty DestinationRule host in MeshService overrides WHEN constructed THEN it is refused', () => {
  throwsProp(mesh({ overrides: { host: '' } }), { code: 'MP_INVALID_HOST', field: 'overrides.host', path: 'test/reviews', value: '' });
});

test('GIVEN an empty host in ExternalService DestinationRule overrides WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new ExternalService(c, 'api', { name: 'api', hosts: ['api.example.com'], destinationRuleOverrides: { host: '' } })),
    { code: 'MP_INVALID_HOST', field: 'destinationRuleOverrides.host', value: '' });
});

test('GIVEN empty ServiceEntry hosts in overrides WHEN constructed THEN they are refused', () => {
  throwsProp(() => synth((c) => new ExternalService(c, 'api', { name: 'api', hosts: ['api.example.com'], serviceEntryOverrides: { hosts: [] } })),
    { code: 'MP_INVALID_HOST', field: 'serviceEntryOverrides.hosts', value: [] });
});

// TLS

test('GIVEN caCertificates "" in a DestinationRule tls WHEN constructing a MeshService THEN it is refused', () => {
  throwsProp(mesh({ trafficPolicy: { tls: { mode: 'SIMPLE', caCertificates: '' } } }),
    { code: 'MP_INVALID_PROP', field: 'trafficPolicy.tls.caCertificates', path: 'test/reviews', value: '' });
});

test('GIVEN caCertificates "" for TLS origination WHEN constructing an ExternalService THEN it is refused, not taken as verified', () => {
  throwsProp(() => synth((c) => new ExternalService(c, 'api', { name: 'api', hosts: ['api.example.com'], tlsOrigination: { caCertificates: '' } })),
    { code: 'MP_INVALID_PROP', field: 'tlsOrigination.caCertificates', value: '' });
});

// AuthorizationPolicy

test('GIVEN an ipBlock "10.0.0.0/33" WHEN constructing an AllowPolicy THEN MP_INVALID_IP_BLOCK names it', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'a', rules: [{ from: [{ ipBlocks: ['10.0.0.0/8', '10.0.0.0/33'] }] }] })),
    { code: 'MP_INVALID_IP_BLOCK', field: 'rules[0].from[0].ipBlocks[1]', path: 'test/allow', value: '10.0.0.0/33' });
});

test('GIVEN a notIpBlock "300.1.1.1" WHEN constructing an AllowPolicy THEN it is refused', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'a', rules: [{ from: [{ principals: ['x'], notIpBlocks: ['300.1.1.1'] }] }] })),
    { code: 'MP_INVALID_IP_BLOCK', field: 'rules[0].from[0].notIpBlocks[0]', value: '300.1.1.1' });
});

test('GIVEN IPv4 and IPv6 blocks WHEN synthesized THEN they are kept', () => {
  const ap = only(synth((c) => new AllowPolicy(c, 'allow', { name: 'a', rules: [{ from: [{ ipBlocks: ['10.1.2.3', '2001:db8::/32', '::ffff:10.0.0.1'] }] }] })), 'AuthorizationPolicy');
  assert.equal(ap.spec.rules[0].from[0].source.ipBlocks, ['10.1.2.3', '2001:db8::/32', '::ffff:10.0.0.1']);
});

test('GIVEN action CUSTOM with a blank provider WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'x', action: 'CUSTOM', provider: ' ', rules: [{ to: [{ paths: ['/'] }] }] })),
    { code: 'MP_INVALID_PROP', field: 'provider', value: ' ' });
});

// Inherited names and prototype keys

test('GIVEN action "constructor" WHEN constructing an AllowPolicy THEN it is refused, not found on Object.prototype', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'x', action: 'constructor' as never, rules: [{ to: [{ paths: ['/'] }] }] })),
    { code: 'MP_INVALID_PROP', field: 'action', value: 'constructor' });
});

test('GIVEN mTLS mode "toString" WHEN constructing a PeerAuthenticationPolicy THEN it is refused', () => {
  throwsProp(() => synth((c) => new PeerAuthenticationPolicy(c, 'mtls', { scope: PolicyScope.mesh(), mode: 'toString' as never })),
    { code: 'MP_INVALID_PROP', field: 'mode', value: 'toString' });
});

test('GIVEN load balancer "toString" WHEN constructing a MeshService THEN it is refused, not rendered as a function', () => {
  throwsProp(mesh({ trafficPolicy: { loadBalancer: { simple: 'toString' as never } } }),
    { code: 'MP_INVALID_PROP', field: 'trafficPolicy.loadBalancer.simple', value: 'toString' });
});

test('GIVEN port protocol "constructor" WHEN constructing a MeshService THEN it is refused', () => {
  throwsProp(mesh({ ports: [{ port: 80, protocol: 'constructor' as never }] }), { code: 'MP_INVALID_PROP', field: 'ports[0].protocol', value: 'constructor' });
});

test('GIVEN resolution "__proto__" WHEN constructing an ExternalService THEN it is refused', () => {
  throwsProp(() => synth((c) => new ExternalService(c, 'api', { name: 'api', hosts: ['api.example.com'], resolution: '__proto__' as never })),
    { code: 'MP_INVALID_PROP', field: 'resolution', value: '__proto__' });
});

test('GIVEN outboundTrafficPolicy "hasOwnProperty" WHEN constructing a SidecarScope THEN it is refused', () => {
  throwsProp(() => synth((c) => new SidecarScope(c, 'sc', { outboundTrafficPolicy: 'hasOwnProperty' as never })),
    { code: 'MP_INVALID_PROP', field: 'outboundTrafficPolicy', value: 'hasOwnProperty' });
});

test('GIVEN an env map with an own "__proto__" key (from JSON) WHEN constructing a MeshService THEN it is refused', () => {
  const env = JSON.parse('{"__proto__": "polluted", "OK": "1"}') as Record<string, string>;
  throwsProp(version({ env }), { code: 'MP_FORBIDDEN_KEY', field: 'versions[0].env.__proto__' });
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test('GIVEN selector labels with an own "__proto__" key WHEN constructing an IngressGateway THEN it is refused', () => {
  const selector = JSON.parse('{"__proto__": {"istio": "x"}}') as Record<string, string>;
  throwsProp(() => synth((c) => new IngressGateway(c, 'gw', { hosts: ['a.example'], credentialName: 'cert', selector })),
    { code: 'MP_FORBIDDEN_KEY', field: 'selector.__proto__' });
});

test('GIVEN portLevelMtls keyed "constructor" WHEN constructing a PeerAuthenticationPolicy THEN it is refused as a port', () => {
  throwsProp(() => synth((c) => new PeerAuthenticationPolicy(c, 'mtls', { name: 'w', scope: PolicyScope.workload({ app: 'a' }), portLevelMtls: { constructor: 'DISABLE' } as never })),
    { code: 'MP_INVALID_PORT', field: 'portLevelMtls[constructor]' });
});

// ALLOW rules that match every request (the definition shared with security/allow-everything)

const allow = (rules: unknown) => () => synth((c) => new AllowPolicy(c, 'allow', { name: 'a', rules: rules as never }));

test('GIVEN an ALLOW rule with notPaths only WHEN constructed THEN MP_ALLOWS_EVERYTHING', () => {
  const err = throwsProp(allow([{ to: [{ notPaths: ['/admin/*'] }] }]), { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]', path: 'test/allow' });
  assert.match(err.message, /exclusion \(notPaths\)/);
});

test('GIVEN an ALLOW rule with notIpBlocks only WHEN constructed THEN MP_ALLOWS_EVERYTHING', () => {
  throwsProp(allow([{ from: [{ notIpBlocks: ['203.0.113.0/24'] }] }]), { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]' });
});

test('GIVEN an ALLOW rule with notPrincipals only WHEN constructed THEN MP_ALLOWS_EVERYTHING', () => {
  throwsProp(allow([{ from: [{ notPrincipals: ['cluster.local/ns/x/sa/y'] }] }]), { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]' });
});

test('GIVEN ipBlocks 0.0.0.0/1 and 128.0.0.0/1 WHEN constructed THEN the pair is seen to cover every address', () => {
  throwsProp(allow([{ from: [{ ipBlocks: ['0.0.0.0/1', '128.0.0.0/1'] }] }]), { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]' });
});

test('GIVEN ipBlocks ::/0 WHEN constructed THEN MP_ALLOWS_EVERYTHING', () => {
  throwsProp(allow([{ from: [{ ipBlocks: ['::/0'] }] }]), { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]' });
});

test('GIVEN namespaces ["*"] alone WHEN constructed THEN MP_ALLOWS_EVERYTHING', () => {
  throwsProp(allow([{ from: [{ namespaces: ['*'] }] }]), { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]' });
});

test('GIVEN paths ["/*"] alone WHEN constructed THEN MP_ALLOWS_EVERYTHING', () => {
  throwsProp(allow([{ to: [{ paths: ['/*'] }] }]), { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]' });
});

test('GIVEN methods ["*"] alone WHEN constructed THEN MP_ALLOWS_EVERYTHING', () => {
  throwsProp(allow([{ to: [{ methods: ['*'] }] }]), { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]' });
});

test('GIVEN notNamespaces only WHEN synthesized THEN it counts as a restriction (a closed set)', () => {
  const ap = only(allow([{ from: [{ notNamespaces: ['untrusted'] }] }])(), 'AuthorizationPolicy');
  assert.equal(ap.spec.rules, [{ from: [{ source: { notNamespaces: ['untrusted'] } }] }]);
});

/** A MeshService on ports 8080 and 9090, and an ALLOW policy for it with no source restriction and `ports`. */
function portsApp(ports: number[]): () => void {
  return () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new MeshService(chart, 'cart', { name: 'cart', ports: [{ port: 8080, protocol: 'http' }, { port: 9090, protocol: 'http', name: 'metrics' }], versions: [{ name: 'v1', image: 'cart:1' }] });
    new AllowPolicy(chart, 'allow-cart', { name: 'cart', scope: PolicyScope.workload({ app: 'cart' }), rules: [{ to: [{ ports }] }] });
    app.synth();
  };
}

test('GIVEN to.ports covering every container port of the selected workloads WHEN synthesized THEN validation refuses it', () => {
  let caught: unknown;
  try {
    portsApp([8080, 9090])();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, 'expected the synth to fail');
  assert.match((caught as Error).message, /\[shop\/allow-cart\] rules\[0\] is .*every container port of the selected workloads \(8080, 9090\).*\[MP_ALLOWS_EVERYTHING\]/);
});

test('GIVEN to.ports naming some container ports WHEN synthesized THEN it is accepted', () => {
  portsApp([9090])();
});

test.run();
