/**
 * validation/virtualservice-structure, tls SNI hosts: Istio's validateSniHost refuses a VirtualService
 * whose tls match names an SNI host that is not a subset of one of its hosts as written
 * (host.Name.SubsetOf; short hosts are not expanded; IP addresses only warn).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import virtualServiceStructure from '../../../src/checks/rules/validation/virtualservice-structure.js';
import { findingsOf } from './_harness.js';

async function sniFindings(hosts: string, sniHosts: string) {
  return (await findingsOf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: psp, namespace: shop}
spec:
  hosts: ${hosts}
  tls:
  - match: [{port: 443, sniHosts: ${sniHosts}}]
    route: [{destination: {host: psp.shop.svc.cluster.local, port: {number: 443}}}]
`, [virtualServiceStructure], {}, 'vs.yaml')).filter((f) => f.message.includes('SNI host'));
}

test('GIVEN a short host psp and the SNI psp.shop.svc.cluster.local WHEN validated THEN refused, at the SNI entry, saying hosts are compared as written', async () => {
  const found = await sniFindings('[psp]', '[psp.shop.svc.cluster.local]');
  assert.is(found.length, 1);
  assert.equal(found[0]!.fieldPath, ['spec', 'tls', 0, 'match', 0, 'sniHosts', 0]);
  assert.match(found[0]!.message, /SNI host "psp\.shop\.svc\.cluster\.local" is not a compatible subset of any of the virtual service hosts: \[psp\]/);
  assert.match(found[0]!.message, /compared as written/);
});

for (const [hosts, sni] of [['[psp.example.net]', '[psp.example.net]'], ['["*.example.net"]', '[psp.example.net, "*.eu.example.net"]'], ['["*"]', '[anything.example.org]'], ['[psp.example.net]', '["10.0.0.7"]']] as const) {
  test(`GIVEN hosts ${hosts} WHEN the SNI hosts are ${sni} THEN accepted`, async () => {
    assert.equal((await sniFindings(hosts, sni)).map((f) => f.message), []);
  });
}

test('GIVEN hosts *.eu.example.net WHEN the SNI host is the wider *.example.net THEN refused', async () => {
  assert.is((await sniFindings('["*.eu.example.net"]', '["*.example.net"]')).length, 1);
});

test.run();
