import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isIstioKind, isValidatedKind, validateCrdObject } from '../../src/validate/index.js';
import { virtualService } from './_objects.js';

test('GIVEN networking.istio.io/v2 WHEN validated THEN one unknown-kind violation lists the served versions', () => {
  const found = validateCrdObject({ ...virtualService(), apiVersion: 'networking.istio.io/v2' });
  assert.equal(found, [{
    path: ['apiVersion'], kind: 'unknown-kind',
    message: 'apiVersion: VirtualService is not served as networking.istio.io/v2; use one of networking.istio.io/v1, networking.istio.io/v1alpha3, networking.istio.io/v1beta1',
  }]);
});

test('GIVEN a PeerAuthentication as v1alpha3 WHEN validated THEN it is unknown-kind: security kinds serve v1 and v1beta1 only', () => {
  const [v] = validateCrdObject({ apiVersion: 'security.istio.io/v1alpha3', kind: 'PeerAuthentication', metadata: { name: 'x' }, spec: {} });
  assert.is(v?.kind, 'unknown-kind');
  assert.match(v!.message, 'security.istio.io/v1, security.istio.io/v1beta1');
});

test('GIVEN a kind the group does not define WHEN validated THEN the violation names the kinds it does define', () => {
  const [v] = validateCrdObject({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualServices', metadata: { name: 'x' } });
  assert.equal(v?.path, ['kind']);
  assert.match(v!.message, 'networking.istio.io has no kind "VirtualServices"; its kinds are DestinationRule, EnvoyFilter, Gateway');
});

test('GIVEN an Istio group with no CRD in the file WHEN validated THEN it is unknown-kind', () => {
  const [v] = validateCrdObject({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', metadata: { name: 'x' } });
  assert.is(v?.kind, 'unknown-kind');
  assert.match(v!.message, 'no Istio CRD serves IstioOperator in API group install.istio.io');
});

test('GIVEN non-Istio and malformed apiVersions WHEN checked THEN isIstioKind and isValidatedKind are false and nothing is reported', () => {
  const cases: [string, string][] = [
    ['apps/v1', 'Deployment'], ['v1', 'Service'], ['networking.k8s.io/v1', 'Ingress'], ['x-k8s.io/v1', 'Gateway'],
    ['notistio.io/v1', 'Thing'], ['networking.istio.io', 'VirtualService'], ['networking.istio.io/v1', ''], ['/v1', 'X'],
  ];
  for (const [apiVersion, kind] of cases) {
    assert.is(isIstioKind(apiVersion, kind), false, `${apiVersion} ${kind}`);
    assert.is(isValidatedKind(apiVersion, kind), false, `${apiVersion} ${kind}`);
    assert.equal(validateCrdObject({ apiVersion, kind, spec: { anything: true } }), []);
  }
  assert.ok(isIstioKind('networking.istio.io/v1', 'VirtualService'));
  assert.ok(isIstioKind('telemetry.istio.io/v1', 'Telemetry'));
});

test.run();
