/**
 * validation/authorization-policy-structure reads ipBlocks and source.ip / remote.ip / destination.ip conditions
 * with parseIpBlock, the parser the mesh view and the RBAC translation use, as Istio's security.ValidateIPs reads
 * them with Go netip: an IPv6 address may carry a zone (`netip.ParseAddr`), a prefix may not (`netip.ParsePrefix`:
 * "IPv6 zones cannot be present in a prefix"), and a zone may not be empty.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/validation/authorization-policy-structure.js';
import { findingsOf } from './_harness.js';

async function messages(ip: string): Promise<string[]> {
  return (await findingsOf(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: link-local, namespace: shop}
spec:
  action: DENY
  rules:
  - from:
    - source: {ipBlocks: [${JSON.stringify(ip)}]}
    when:
    - {key: source.ip, values: [${JSON.stringify(ip)}]}
`, [rule])).map((f) => f.message);
}

for (const ip of ['fe80::1%eth0', '::ffff:10.0.0.1%x', 'fe80::/10']) {
  test(`GIVEN ipBlocks and a source.ip condition ${ip} WHEN checked THEN accepted, as netip accepts it`, async () => {
    assert.equal(await messages(ip), []);
  });
}

for (const ip of ['fe80::1%eth0/64', 'fe80::1%', '10.0.0.1%eth0']) {
  test(`GIVEN ipBlocks and a source.ip condition ${ip} WHEN checked THEN both are refused, as netip refuses it`, async () => {
    const found = await messages(ip);
    assert.is(found.length, 2, found.join('\n'));
    assert.ok(found.every((m) => m.includes(ip)), found.join('\n'));
  });
}

test.run();
