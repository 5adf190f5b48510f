/**
 * Props that bypass TypeScript (spread from an `any` value, JSON, JavaScript) reach the constructs
 * unchecked: a misspelled prop used to be ignored silently (the default taking its place). Every
 * construct refuses a key its props interface does not have, with the nearest known one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { App, Chart } from 'cdk8s';
import { CanaryRelease } from '../../src/constructs/canary-release.js';
import { MeshService } from '../../src/constructs/mesh-service.js';
import { MutualTlsGateway } from '../../src/constructs/mutual-tls-gateway.js';
import { AllowPolicy } from '../../src/constructs/authorization-policy.js';
import { throwsProp } from '../_synth.js';

const chart = () => new Chart(new App(), 'shop', { namespace: 'shop' });
const service = (c: Chart) => new MeshService(c, 'cart', { name: 'cart', ports: [{ port: 8080, protocol: 'http' }], versions: [{ name: 'v1', image: 'cart:1' }, { name: 'v2', image: 'cart:2' }] });

test('GIVEN a CanaryRelease given canaryWieght through an any-typed object WHEN constructed THEN refused at canaryWieght with "did you mean canaryWeight"', () => {
  const c = chart();
  const cart = service(c);
  const loose: any = { canaryWieght: 50 }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const err = throwsProp(() => new CanaryRelease(c, 'canary', { service: cart, stable: 'v1', canary: 'v2', canaryWeight: 10, ...loose }), { code: 'MP_INVALID_PROP', field: 'canaryWieght', value: 50 });
  assert.match(err.message, /^shop\/canary: canaryWieght is 50; expected a prop of CanaryRelease; did you mean "canaryWeight"\? \(it has canary, canaryWeight, mirror, /);
});

test('GIVEN a MeshService and a MutualTlsGateway and an AllowPolicy given an unknown prop WHEN constructed THEN each names its own class and props', () => {
  const c = chart();
  const loose: any = { replicas: 3 }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const a = throwsProp(() => new MeshService(c, 'api', { name: 'api', ports: [{ port: 80, protocol: 'http' }], versions: [{ name: 'v1', image: 'api:1' }], ...loose }), { code: 'MP_INVALID_PROP', field: 'replicas' });
  assert.match(a.message, /expected a prop of MeshService \(it has name, namespace, overrides, /);
  const gw: any = { host: 'pay.example.com' }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const b = throwsProp(() => new MutualTlsGateway(c, 'edge', { hosts: ['pay.example.com'], credentialName: 'pay', caCertCredentialName: 'pay-ca', ...gw }), { code: 'MP_INVALID_PROP', field: 'host' });
  assert.match(b.message, /expected a prop of MutualTlsGateway; did you mean "hosts"\?/);
  const p: any = { rule: [] }; // eslint-disable-line @typescript-eslint/no-explicit-any
  throwsProp(() => new AllowPolicy(c, 'allow', { name: 'allow', allowAll: true, ...p }), { code: 'MP_INVALID_PROP', field: 'rule' });
});

test('GIVEN a known optional prop passed as undefined WHEN constructed THEN accepted (an explicitly unset prop is not a typo)', () => {
  const c = chart();
  const cart = service(c);
  const loose: any = { mirror: undefined, timeout: undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
  new CanaryRelease(c, 'canary', { service: cart, stable: 'v1', canary: 'v2', canaryWeight: 10, ...loose });
  const typo: any = { timout: undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
  new CanaryRelease(chart(), 'other', { service: service(chart()), stable: 'v1', canary: 'v2', canaryWeight: 10, ...typo });
});

test.run();
