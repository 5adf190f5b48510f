import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateCrdObject, type SchemaViolation } from '../../src/validate/index.js';
import {
  authorizationPolicy, destinationRule, gateway, peerAuthentication, serviceEntry, sidecar, virtualService,
} from './_objects.js';

/** The only violation found; fails when there are none or several. */
function only(obj: unknown): SchemaViolation {
  const found = validateCrdObject(obj);
  assert.is(found.length, 1, JSON.stringify(found, null, 2));
  return found[0]!;
}

test('GIVEN a route timeout of 0.5ms WHEN validated THEN the duration rule fails at that field with the value', () => {
  const vs = virtualService();
  vs.spec.http[0]!.timeout = '0.5ms';
  const v = only(vs);
  assert.equal(v.path, ['spec', 'http', 0, 'timeout']);
  assert.is(v.kind, 'cel');
  assert.is(v.rule, "duration(self) >= duration('1ms')");
  assert.is(v.message, 'spec.http[0].timeout: must be a valid duration greater than 1ms (got "0.5ms")');
});

test('GIVEN durations Go accepts WHEN validated THEN "1h30m", "1.5s", "1000us" and "1ms" pass', () => {
  for (const timeout of ['1h30m', '1.5s', '1000us', '1ms']) {
    const vs = virtualService();
    vs.spec.http[0]!.timeout = timeout;
    assert.equal(validateCrdObject(vs), [], timeout);
  }
});

test('GIVEN a perTryTimeout that is not a duration WHEN validated THEN the rule reports it could not evaluate the value', () => {
  const vs = virtualService();
  vs.spec.http[0]!.retries!.perTryTimeout = '2 seconds';
  const v = only(vs);
  assert.equal(v.path, ['spec', 'http', 0, 'retries', 'perTryTimeout']);
  assert.match(v.message, 'must be a valid duration greater than 1ms (got "2 seconds"); the rule could not be evaluated');
});

test('GIVEN a timeout of 100000000h WHEN validated THEN the message says it is out of range and the longest duration accepted', () => {
  const vs = virtualService();
  vs.spec.http[0]!.timeout = '100000000h';
  const v = only(vs);
  assert.equal(v.path, ['spec', 'http', 0, 'timeout']);
  assert.match(v.message, 'the rule could not be evaluated: invalid duration "100000000h": out of range; Go\'s time.Duration (2^63-1 ns) holds at most 2562047h47m16.854775807s');
});

test('GIVEN a DestinationRule outlier interval of 0s WHEN validated THEN the duration rule fails there', () => {
  const dr = destinationRule();
  dr.spec.trafficPolicy.outlierDetection.interval = '0s';
  assert.equal(only(dr).path, ['spec', 'trafficPolicy', 'outlierDetection', 'interval']);
});

test('GIVEN a DestinationRule workloadSelector with a wildcard label value WHEN validated THEN the wildcard rule fails', () => {
  const dr = { ...destinationRule(), spec: { ...destinationRule().spec, workloadSelector: { matchLabels: { app: 'reviews-*' } } } };
  const v = only(dr);
  assert.equal(v.path, ['spec', 'workloadSelector', 'matchLabels', 'app']);
  assert.match(v.message, 'wildcard not allowed in label value match (got "reviews-*")');
});

test('GIVEN a Gateway server TLS with credentialName and credentialNames WHEN validated THEN only one may be set', () => {
  const gw = gateway();
  Object.assign(gw.spec.servers[1]!.tls, { credentialNames: ['a', 'b'] });
  const v = only(gw);
  assert.equal(v.path, ['spec', 'servers', 1, 'tls']);
  assert.is(v.message, 'spec.servers[1].tls: only one of credentialName or credentialNames can be set');
});

test('GIVEN a ServiceEntry with both workloadSelector and endpoints WHEN validated THEN the rule on spec fails', () => {
  const se = serviceEntry();
  Object.assign(se.spec, { resolution: 'STATIC', workloadSelector: { labels: { app: 'pay' } }, endpoints: [{ address: '10.0.0.1' }] });
  const v = only(se);
  assert.equal(v.path, ['spec']);
  assert.match(v.message, 'only one of WorkloadSelector or Endpoints can be set');
});

test('GIVEN a ServiceEntry with resolution NONE and endpoints WHEN validated THEN NONE mode cannot set endpoints', () => {
  const se = serviceEntry();
  Object.assign(se.spec, { resolution: 'NONE', endpoints: [{ address: '10.0.0.1' }] });
  assert.match(only(se).message, 'spec: NONE mode cannot set endpoints');
});

test('GIVEN a ServiceEntry with a CIDR address and DNS resolution WHEN validated THEN CIDRs need NONE or STATIC', () => {
  const se = serviceEntry();
  Object.assign(se.spec, { addresses: ['10.0.0.0/16'] });
  assert.match(only(se).message, 'CIDR addresses are allowed only for NONE/STATIC resolution types');
});

test('GIVEN a ServiceEntry port 0 and a wildcard host WHEN validated THEN both rules fail at their fields', () => {
  const se = serviceEntry();
  se.spec.hosts = ['*'];
  se.spec.ports[0]!.number = 0;
  const found = validateCrdObject(se);
  assert.equal(found.map((v) => v.path), [['spec', 'hosts', 0], ['spec', 'ports', 0, 'number']]);
  assert.match(found[1]!.message, 'spec.ports[0].number: port must be between 1-65535 (got 0)');
});

test('GIVEN ServiceEntry endpoints with a relative unix socket and a bad port name WHEN validated THEN the UDS and port-name rules fail', () => {
  const se = serviceEntry();
  Object.assign(se.spec, { resolution: 'STATIC', endpoints: [{ address: 'unix://relative.sock' }, { address: '10.0.0.2', ports: { '-https': 8443 } }] });
  const found = validateCrdObject(se);
  assert.equal(found.map((v) => v.path), [['spec', 'endpoints', 0, 'address'], ['spec', 'endpoints', 1, 'ports']]);
  assert.match(found[0]!.message, 'UDS must be an absolute path or abstract socket');
  assert.match(found[1]!.message, 'port name must be valid');
});

test('GIVEN a PeerAuthentication with portLevelMtls but no selector WHEN validated THEN portLevelMtls requires a selector', () => {
  const { selector: _selector, ...spec } = peerAuthentication().spec;
  const v = only({ ...peerAuthentication(), spec });
  assert.equal(v.path, ['spec']);
  assert.is(v.message, 'spec: portLevelMtls requires selector');
});

test('GIVEN a PeerAuthentication portLevelMtls key of 0 WHEN validated THEN the port rule fails on the map', () => {
  const pa = { ...peerAuthentication(), spec: { ...peerAuthentication().spec, portLevelMtls: { '0': { mode: 'DISABLE' } } } };
  assert.match(only(pa).message, 'spec.portLevelMtls: port must be between 1-65535');
});

test('GIVEN an AuthorizationPolicy source with serviceAccounts and principals WHEN validated THEN they cannot be combined', () => {
  const ap = authorizationPolicy();
  Object.assign(ap.spec.rules[0]!.from[0]!.source, { serviceAccounts: ['default/productpage'] });
  const v = only(ap);
  assert.equal(v.path, ['spec', 'rules', 0, 'from', 0, 'source']);
  assert.match(v.message, 'Cannot set serviceAccounts with namespaces or principals');
});

test('GIVEN an AuthorizationPolicy with selector and targetRefs WHEN validated THEN only one may be set', () => {
  const ap = authorizationPolicy();
  Object.assign(ap.spec, { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] });
  assert.match(only(ap).message, 'spec: only one of targetRefs or selector can be set');
});

test('GIVEN an AuthorizationPolicy with action CUSTOM and no provider WHEN validated THEN it passes: that rule is istiod\'s webhook, not the CRD', () => {
  const ap = authorizationPolicy();
  ap.spec.action = 'CUSTOM';
  assert.equal(validateCrdObject(ap), []);
});

test('GIVEN a Sidecar workloadSelector with a wildcard WHEN validated THEN wildcards are not supported in selector', () => {
  const sc = sidecar();
  sc.spec.workloadSelector.labels.app = '*';
  const v = only(sc);
  assert.equal(v.path, ['spec', 'workloadSelector', 'labels', 'app']);
  assert.match(v.message, 'wildcard is not supported in selector (got "*")');
});

test.run();
