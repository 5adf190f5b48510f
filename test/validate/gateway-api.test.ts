import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kindsInGroup, tryFindCrd } from '../../src/validate/crds.js';
import { isIstioKind, isValidatedKind, skippedRules, validateCrdObject, type SchemaViolation } from '../../src/validate/index.js';
import {
  backendTlsPolicy, gatewayClass, grpcRoute, httpRoute, k8sGateway, listenerSet, referenceGrant, tcpRoute, tlsRoute, udpRoute,
} from './_objects.js';

/** The only violation found; fails when there are none or several. */
function only(obj: unknown): SchemaViolation {
  const found = validateCrdObject(obj);
  assert.is(found.length, 1, JSON.stringify(found, null, 2));
  return found[0]!;
}

const VALID = { gatewayClass, k8sGateway, httpRoute, grpcRoute, tcpRoute, tlsRoute, udpRoute, referenceGrant, backendTlsPolicy, listenerSet };

test('GIVEN a valid object of each Gateway API kind, defaulted fields left out WHEN validated THEN nothing is found', () => {
  for (const [name, make] of Object.entries(VALID)) {
    const obj = make();
    assert.ok(isValidatedKind(obj.apiVersion, obj.kind) && !isIstioKind(obj.apiVersion, obj.kind), name);
    assert.equal(validateCrdObject(obj), [], name);
  }
  assert.equal(validateCrdObject({ ...httpRoute(), apiVersion: 'gateway.networking.k8s.io/v1beta1' }), []);
  assert.equal(validateCrdObject({ ...tlsRoute(), apiVersion: 'gateway.networking.k8s.io/v1alpha3' }), []);
});

test('GIVEN a misspelt field in an object of each Gateway API kind WHEN validated THEN it is an unknown field there', () => {
  const cases: [unknown, (string | number)[]][] = [];
  const typo = <T extends object>(obj: T, at: Record<string, unknown>, field: string, path: (string | number)[]): T => {
    at[field] = 'x';
    cases.push([obj, path]);
    return obj;
  };
  const gc = gatewayClass(); typo(gc, gc.spec, 'controller', ['spec', 'controller']);
  const gw = k8sGateway(); typo(gw, gw.spec.listeners[0]!, 'hostnames', ['spec', 'listeners', 0, 'hostnames']);
  const hr = httpRoute(); typo(hr, hr.spec.rules[0]!, 'timeout', ['spec', 'rules', 0, 'timeout']);
  const gr = grpcRoute(); typo(gr, gr.spec.rules[0]!.backendRefs[0]!, 'weigth', ['spec', 'rules', 0, 'backendRefs', 0, 'weigth']);
  const tcp = tcpRoute(); typo(tcp, tcp.spec.rules[0]!.backendRefs[0]!, 'host', ['spec', 'rules', 0, 'backendRefs', 0, 'host']);
  const tls = tlsRoute(); typo(tls, tls.spec, 'hostname', ['spec', 'hostname']);
  const udp = udpRoute(); typo(udp, udp.spec.rules[0]!.backendRefs[0]!, 'protocol', ['spec', 'rules', 0, 'backendRefs', 0, 'protocol']);
  const rg = referenceGrant(); typo(rg, rg.spec.to[0]!, 'namespace', ['spec', 'to', 0, 'namespace']);
  const bt = backendTlsPolicy(); typo(bt, bt.spec.validation, 'sni', ['spec', 'validation', 'sni']);
  const ls = listenerSet(); typo(ls, ls.spec.listeners[0]!, 'tls_mode', ['spec', 'listeners', 0, 'tls_mode']);
  for (const [obj, path] of cases) {
    const v = only(obj);
    assert.equal(v.path, path);
    assert.is(v.kind, 'schema');
    assert.match(v.message, 'unknown field');
  }
});

test('GIVEN an HTTPRoute backendRef whose port is a name WHEN validated THEN it must be an integer', () => {
  const route = httpRoute();
  route.spec.rules[0]!.backendRefs[0]!.port = 'http';
  const v = only(route);
  assert.equal(v.path, ['spec', 'rules', 0, 'backendRefs', 0, 'port']);
  assert.is(v.message, 'spec.rules[0].backendRefs[0].port: must be an integer (got string "http")');
});

test('GIVEN an HTTPRoute with two parentRefs to one Gateway, one with a sectionName WHEN validated THEN the CEL rule refuses it', () => {
  const route = httpRoute();
  route.spec.parentRefs = [{ name: 'edge', namespace: 'istio-ingress' }, { name: 'edge', namespace: 'istio-ingress', sectionName: 'https' }];
  const v = only(route);
  assert.equal(v.path, ['spec', 'parentRefs']);
  assert.is(v.kind, 'cel');
  assert.is(v.message, 'spec.parentRefs: sectionName or port must be specified when parentRefs includes 2 or more references to the same parent');
  route.spec.parentRefs = [{ name: 'edge', namespace: 'istio-ingress', sectionName: 'http' }, { name: 'edge', namespace: 'istio-ingress', sectionName: 'https' }];
  assert.equal(validateCrdObject(route), []);
});

test('GIVEN parentRefs to Gateways of one name in two namespaces WHEN validated THEN they are different parents: rules read namespace as __namespace__', () => {
  const route = httpRoute();
  route.spec.parentRefs = [{ name: 'edge', namespace: 'istio-ingress' }, { name: 'edge', namespace: 'other' }];
  assert.equal(validateCrdObject(route), []);
  route.spec.parentRefs = [{ name: 'edge', namespace: 'istio-ingress' }, { name: 'edge', namespace: 'istio-ingress' }];
  assert.is(only(route).message, 'spec.parentRefs: sectionName or port must be unique when parentRefs includes 2 or more references to the same parent');
});

test('GIVEN an HTTPRoute backendRequest timeout over its request timeout WHEN validated THEN the CEL rule refuses it', () => {
  const route = httpRoute();
  route.spec.rules[0]!.timeouts = { request: '1s', backendRequest: '2s' };
  const v = only(route);
  assert.equal(v.path, ['spec', 'rules', 0, 'timeouts']);
  assert.is(v.message, 'spec.rules[0].timeouts: backendRequest timeout cannot be longer than request timeout');
});

test('GIVEN a backendRef without kind WHEN validated THEN kind defaults to Service, so a missing port is refused and a port satisfies the rule', () => {
  const route = httpRoute();
  delete route.spec.rules[0]!.backendRefs[0]!.port;
  const v = only(route);
  assert.equal(v.path, ['spec', 'rules', 0, 'backendRefs', 0]);
  assert.is(v.message, 'spec.rules[0].backendRefs[0]: Must have port for Service reference');
  const ok = httpRoute();
  assert.equal(ok.spec.rules[0]!.backendRefs[0]!.kind, undefined);
  assert.equal(validateCrdObject(ok), []);
});

test('GIVEN an HTTPS listener whose tls has no mode WHEN validated THEN mode defaults to Terminate and its certificateRefs satisfy the rules', () => {
  const gw = k8sGateway();
  assert.equal(validateCrdObject(gw), []);
  gw.spec.listeners[1]!.tls = {};
  const v = only(gw);
  assert.equal(v.path, ['spec', 'listeners', 1, 'tls']);
  assert.match(v.message, /^spec\.listeners\[1\]\.tls: certificateRefs or options must be specified when mode is Terminate; the rule could not be evaluated: No such key/);
});

test('GIVEN a URLRewrite with replacePrefixMatch WHEN its rule has no match or several THEN it is refused: the defaulted match is one PathPrefix "/"', () => {
  const route = httpRoute();
  delete (route.spec.rules[1] as Record<string, unknown>).matches;
  assert.equal(validateCrdObject(route), []);
  (route.spec.rules[1] as Record<string, unknown>).matches = [{ path: { value: '/a' } }, { path: { value: '/b' } }];
  const v = only(route);
  assert.equal(v.path, ['spec', 'rules', 1]);
  assert.is(v.message, 'spec.rules[1]: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified');
});

test('GIVEN a GRPCRoute WHEN its rules are validated THEN the match-count rule reading has(self[0].matches) evaluates', () => {
  const route = grpcRoute();
  route.spec.rules = Array.from({ length: 3 }, () => ({ matches: Array.from({ length: 50 }, () => ({ method: { service: 's', method: 'm' } })), backendRefs: [{ name: 'search', port: 50051 }] }));
  const v = only(route);
  assert.equal(v.path, ['spec', 'rules']);
  assert.match(v.message, 'the total number of matches across all rules in a route must be less than 128');
  assert.not.match(v.message, 'could not be evaluated');
});

test('GIVEN Gateway addresses WHEN the type is IPAddress, written or defaulted THEN the value must be an IP address (formats ipv4, ipv6)', () => {
  const gw = k8sGateway();
  const spec = gw.spec as Record<string, unknown>;
  spec.addresses = [{ value: '10.0.0.1' }, { type: 'IPAddress', value: '2001:db8::1' }, { type: 'Hostname', value: 'gw.example.com' }];
  assert.equal(validateCrdObject(gw), []);
  spec.addresses = [{ value: '10.0.0.1:8080' }];
  const v = only(gw);
  assert.equal(v.path, ['spec', 'addresses', 0, 'value']);
  assert.is(v.message, 'spec.addresses[0].value: must be an IPv4 address, e.g. "10.0.0.1", or an IPv6 address, e.g. "2001:db8::1" (got "10.0.0.1:8080")');
});

test('GIVEN a ReferenceGrant as v1alpha2 WHEN validated THEN it is not served: v1.6 serves v1 and v1beta1 only', () => {
  const v = only({ ...referenceGrant(), apiVersion: 'gateway.networking.k8s.io/v1alpha2' });
  assert.is(v.kind, 'unknown-kind');
  assert.is(v.message, 'apiVersion: ReferenceGrant is not served as gateway.networking.k8s.io/v1alpha2; use one of gateway.networking.k8s.io/v1, gateway.networking.k8s.io/v1beta1');
});

test('GIVEN a kind the Gateway API does not define WHEN validated THEN the violation lists the kinds it does', () => {
  const v = only({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HttpRoute', metadata: { name: 'x' }, spec: {} });
  assert.equal(v.path, ['kind']);
  assert.is(v.message, 'kind: gateway.networking.k8s.io has no kind "HttpRoute"; its kinds are BackendTLSPolicy, GRPCRoute, Gateway, GatewayClass, HTTPRoute, ListenerSet, ReferenceGrant, TCPRoute, TLSRoute, UDPRoute');
});

test('GIVEN a Gateway API object WHEN validated THEN the object itself is not defaulted', () => {
  const route = httpRoute();
  const before = JSON.stringify(route);
  validateCrdObject(route);
  assert.is(JSON.stringify(route), before);
});

test('GIVEN a minimal object of every served version of every Gateway API kind WHEN validated THEN every CEL rule compiles; only transition rules are skipped', () => {
  let versions = 0;
  for (const group of ['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io']) {
    for (const kind of kindsInGroup(group)) {
      for (const { name } of tryFindCrd(group, kind)!.versions) {
        const found = validateCrdObject({ apiVersion: `${group}/${name}`, kind, metadata: { name: 'x', namespace: 'default' }, spec: {} });
        assert.ok(found.every((v) => v.kind !== 'unknown-kind'), `${kind}: ${JSON.stringify(found)}`);
        versions++;
      }
    }
  }
  assert.is(versions, 22);
  const skipped = skippedRules().filter((r) => !r.reason.startsWith('transition rule'));
  assert.equal(skipped, []);
});

test.run();
