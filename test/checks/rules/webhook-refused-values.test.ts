/**
 * Values a new user wrote that `meshproof check` accepted and Istio's admission webhook refuses (IST0106), each at
 * its boundary: what Istio takes is accepted, one step past it is refused, with the path and the valid range.
 * Istio: pkg/config/validation/validation.go validateOutlierDetection (ValidatePercent), agent.ValidateTLS,
 * virtualservice.go validateHTTPRoute (mirrorPercentage), ValidateGateway (unique port names), validatePortSelector.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import destinationRuleStructure from '../../../src/checks/rules/validation/destinationrule-structure.js';
import gatewayServerPort from '../../../src/checks/rules/validation/gateway-server-port.js';
import httpRouteValues from '../../../src/checks/rules/validation/http-route-values.js';
import destinationHostExists from '../../../src/checks/rules/references/destination-host-exists.js';
import type { Rule } from '../../../src/checks/rule.js';
import { findingsOf } from './_harness.js';

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
`;

async function found(yaml: string, rule: Rule) {
  return (await findingsOf(SERVICE + yaml, [rule])).filter((f) => f.ruleId === rule.id);
}

const dr = (policy: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  trafficPolicy: ${policy}
`;

test('GIVEN outlier maxEjectionPercent 250 and minHealthPercent -4 WHEN validated THEN both refused at their fields with the range 0..100', async () => {
  const f = await found(dr('{outlierDetection: {maxEjectionPercent: 250, minHealthPercent: -4}}'), destinationRuleStructure);
  assert.equal(f.map((x) => x.fieldPath), [['spec', 'trafficPolicy', 'outlierDetection', 'maxEjectionPercent'], ['spec', 'trafficPolicy', 'outlierDetection', 'minHealthPercent']]);
  assert.match(f[0]!.message, /percentage 250 is not in range 0\.\.100: outlierDetection\.maxEjectionPercent/);
  assert.is(f[0]!.istioCode, 'IST0106');
});

test('GIVEN outlier percentages 100 and 0 WHEN validated THEN accepted', async () => {
  assert.equal((await found(dr('{outlierDetection: {maxEjectionPercent: 100, minHealthPercent: 0}}'), destinationRuleStructure)).map((x) => x.message), []);
});

test('GIVEN tls MUTUAL with caCertificates only WHEN validated THEN client certificate and private key are required, with the credentialName fix', async () => {
  const f = await found(dr('{tls: {mode: MUTUAL, caCertificates: /etc/ca.pem}}'), destinationRuleStructure);
  assert.equal(f.map((x) => x.message.split(':')[0]), ['client certificate required for mutual tls', 'private key required for mutual tls']);
  assert.match(f[0]!.message, /credentialName/);
});

for (const tls of ['{mode: MUTUAL, credentialName: reviews-client}', '{mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem}', '{mode: SIMPLE, caCertificates: /etc/ca.pem}']) {
  test(`GIVEN tls ${tls} WHEN validated THEN accepted`, async () => {
    assert.equal((await found(dr(`{tls: ${tls}}`), destinationRuleStructure)).map((x) => x.message), []);
  });
}

const vs = (http: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - ${http}
`;

test('GIVEN mirrorPercentage 250 WHEN validated THEN refused at mirrorPercentage.value; 100 and 0 are accepted', async () => {
  const f = await found(vs('{mirror: {host: reviews}, mirrorPercentage: {value: 250}, route: [{destination: {host: reviews}}]}'), httpRouteValues);
  assert.is(f.length, 1);
  assert.equal(f[0]!.fieldPath, ['spec', 'http', 0, 'mirrorPercentage', 'value']);
  assert.match(f[0]!.message, /mirror_percentage must have a max value of 100 \(it has 250\)/);
  for (const ok of [100, 0]) {
    assert.equal((await found(vs(`{mirror: {host: reviews}, mirrorPercentage: {value: ${ok}}, route: [{destination: {host: reviews}}]}`), httpRouteValues)).length, 0);
  }
});

for (const port of [0, 99999]) {
  test(`GIVEN a destination port ${port} WHEN validated THEN IST0106 with the range 1..65535, beside istioctl's IST0101 host:port not found`, async () => {
    const yaml = vs(`{route: [{destination: {host: reviews, port: {number: ${port}}}}]}`);
    const f = await found(yaml, httpRouteValues);
    assert.is(f.length, 1);
    assert.equal(f[0]!.fieldPath, ['spec', 'http', 0, 'route', 0, 'destination', 'port', 'number']);
    assert.match(f[0]!.message, new RegExp(`port number ${port} must be in the range 1\\.\\.65535`));
    assert.is((await found(yaml, destinationHostExists)).length, 1);
  });
}

test('GIVEN destination ports 1 and 65535 WHEN validated THEN accepted by the webhook check', async () => {
  for (const port of [1, 65535]) assert.is((await found(vs(`{route: [{destination: {host: reviews, port: {number: ${port}}}}]}`), httpRouteValues)).length, 0);
});

const gw = (a: string, b: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 80, name: ${a}, protocol: HTTP}, hosts: ["*/shop.example.com"]}
  - {port: {number: 8080, name: ${b}, protocol: HTTP}, hosts: ["*/shop.example.com"]}
`;

test('GIVEN two Gateway servers with port name web WHEN validated THEN the second is refused as a duplicate, naming both servers', async () => {
  const f = await found(gw('web', 'web'), gatewayServerPort);
  assert.is(f.length, 1);
  assert.equal(f[0]!.fieldPath, ['spec', 'servers', 1, 'port', 'name']);
  assert.match(f[0]!.message, /port names in servers must be unique: duplicate name web \(spec\.servers\[0\] and spec\.servers\[1\]\)/);
});

test('GIVEN two Gateway servers with distinct port names WHEN validated THEN accepted', async () => {
  assert.equal((await found(gw('http', 'http-8080'), gatewayServerPort)).map((x) => x.message), []);
});

test('GIVEN a direct response body of 1 MB + 1 byte WHEN validated THEN refused at directResponse.body; 1 MB exactly is accepted', async () => {
  const body = (n: number) => vs(`{match: [{uri: {prefix: /big}}], directResponse: {status: 200, body: {string: "${'x'.repeat(n)}"}}}`);
  const f = await found(body(1024 * 1024 + 1), httpRouteValues);
  assert.equal(f.map((x) => x.fieldPath), [['spec', 'http', 0, 'directResponse', 'body']]);
  assert.match(f[0]!.message, /must be less than 1MB: directResponse\.body is 1048577 bytes/);
  assert.is((await found(body(1024 * 1024), httpRouteValues)).length, 0);
});

test.run();
