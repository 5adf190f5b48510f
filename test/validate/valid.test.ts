import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tryFindCrd } from '../../src/validate/crds.js';
import { skippedRules, validateCrdObject } from '../../src/validate/index.js';
import {
  authorizationPolicy, destinationRule, gateway, peerAuthentication, serviceEntry, sidecar, virtualService,
} from './_objects.js';

const valid = { virtualService, destinationRule, gateway, serviceEntry, sidecar, peerAuthentication, authorizationPolicy };

for (const [name, make] of Object.entries(valid)) {
  test(`GIVEN a valid ${name} WHEN validated THEN there are no violations`, () => {
    assert.equal(validateCrdObject(make()), []);
  });
}

test('GIVEN a valid VirtualService at v1beta1 and v1alpha3 WHEN validated THEN both versions are served and valid', () => {
  for (const version of ['v1beta1', 'v1alpha3']) {
    assert.equal(validateCrdObject({ ...virtualService(), apiVersion: `networking.istio.io/${version}` }), []);
  }
});

test('GIVEN a field set to null WHEN validated THEN it counts as unset, as the API server prunes it', () => {
  const vs = virtualService();
  (vs.spec.http[0] as Record<string, unknown>).timeout = null;
  assert.equal(validateCrdObject(vs), []);
});

test('GIVEN a status written by a controller WHEN validated THEN it is accepted (status preserves unknown fields)', () => {
  assert.equal(validateCrdObject({ ...gateway(), status: { conditions: [{ type: 'Ready' }], anything: 1 } }), []);
});

test('GIVEN a ServiceEntry with static endpoints WHEN validated THEN its CEL rules pass', () => {
  const se = serviceEntry();
  Object.assign(se.spec, { resolution: 'STATIC', addresses: ['10.0.0.0/24'], endpoints: [{ address: '10.0.0.1', ports: { https: 8443 } }] });
  assert.equal(validateCrdObject(se), []);
});

test('GIVEN a minimal object of every served version of the 15 Istio kinds WHEN validated THEN every CEL rule compiles and none is skipped', () => {
  const kinds = [
    ['extensions.istio.io', 'TrafficExtension'], ['extensions.istio.io', 'WasmPlugin'], ['networking.istio.io', 'DestinationRule'],
    ['networking.istio.io', 'EnvoyFilter'], ['networking.istio.io', 'Gateway'], ['networking.istio.io', 'ProxyConfig'],
    ['networking.istio.io', 'ServiceEntry'], ['networking.istio.io', 'Sidecar'], ['networking.istio.io', 'VirtualService'],
    ['networking.istio.io', 'WorkloadEntry'], ['networking.istio.io', 'WorkloadGroup'], ['security.istio.io', 'AuthorizationPolicy'],
    ['security.istio.io', 'PeerAuthentication'], ['security.istio.io', 'RequestAuthentication'], ['telemetry.istio.io', 'Telemetry'],
  ] as const;
  let versions = 0;
  for (const [group, kind] of kinds) {
    for (const { name } of tryFindCrd(group, kind)?.versions ?? []) {
      const found = validateCrdObject({ apiVersion: `${group}/${name}`, kind, metadata: { name: 'x' }, spec: {} });
      assert.ok(found.every((v) => v.kind !== 'unknown-kind'), `${kind}: ${JSON.stringify(found)}`);
      versions++;
    }
  }
  assert.is(versions, 33);
  // Gateway API's only skipped rules are its transition rules (gateway-api.test.ts), if that file ran first.
  assert.equal(skippedRules().filter((r) => r.rule !== 'self == oldSelf'), []);
});

test.run();
