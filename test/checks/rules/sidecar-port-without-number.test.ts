/**
 * validation/sidecar-structure (IST0106): Istio's ValidateSidecar refuses a listener port written without number
 * (pkg/config/validation/validation.go): an egress port 0 needs a unix:// bind (validateSidecarEgressPortBindAndCaptureMode),
 * an ingress port needs a number in 1..65535 (validateSidecarIngressPortAndBind, agent.ValidatePort).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/validation/sidecar-structure.js';
import { findingsOf } from './_harness.js';

function findings(spec: string) {
  return findingsOf(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sc, namespace: shop}
spec:
${spec}
`, [rule]);
}

const CASES: [string, string, string | null][] = [
  ['an ingress port by name only', '  ingress: [{port: {name: http-web, protocol: HTTP}, defaultEndpoint: "127.0.0.1:8080"}]', 'spec.ingress[0].port has no number (only name "http-web"'],
  ['an egress port by name only', '  egress: [{port: {name: http-api, protocol: HTTP}, hosts: ["./*"]}]', 'spec.egress[0].port has no number (only name "http-api"'],
  ['an egress port 0 bound to a unix socket', '  egress: [{port: {number: 0, protocol: HTTP, name: uds}, bind: "unix:///var/run/app.sock", hosts: ["./*"]}]', null],
  ['ingress and egress ports with numbers', '  ingress: [{port: {number: 9080, protocol: HTTP, name: http}, defaultEndpoint: "127.0.0.1:8080"}]\n  egress: [{port: {number: 8080, protocol: HTTP, name: http}, hosts: ["./*"]}]', null],
];
for (const [what, spec, says] of CASES) {
  test(`GIVEN ${what} WHEN checked THEN ${says ? `one error saying "${says}"` : 'nothing'}`, async () => {
    const found = await findings(spec);
    if (says === null) { assert.equal(found.map((f) => f.message), []); return; }
    assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
    assert.ok(found[0]!.message.includes(says) && found[0]!.message.includes('set port.number'), found[0]!.message);
  });
}

test.run();
