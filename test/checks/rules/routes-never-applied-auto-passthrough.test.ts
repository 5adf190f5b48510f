/**
 * routing/routes-never-applied on an AUTO_PASSTHROUGH Gateway server: istiod forwards its connections by SNI
 * and reads no VirtualService for it (pilot/pkg/networking/core/gateway.go buildGatewayNetworkFiltersFromTLSRoutes),
 * so tls and tcp routes bound there are never applied; a PASSTHROUGH server applies tls routes only
 * (createGatewayTCPFilterChainOpts builds a passthrough server from TLS routes alone), and a server that
 * terminates TLS (protocol TLS, mode SIMPLE) applies tcp routes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/routes-never-applied.js';
import { findingsOf } from './_harness.js';

function findings(servers: string, section: string) {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: storefront, namespace: shop}
spec:
  selector: {app: storefront}
  ports: [{name: https, port: 443}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
${servers}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  ${section}:
  - match: [{port: 443${section === 'tls' ? ', sniHosts: [shop.example.com]' : ''}}]
    route: [{destination: {host: storefront, port: {number: 443}}}]
`, [rule]);
}

const server = (port: number, mode: string) => `  - port: {number: ${port}, name: tls-${port}, protocol: TLS}\n    hosts: [shop.example.com]\n    tls: {mode: ${mode}}`;

for (const section of ['tls', 'tcp']) {
  test(`GIVEN ${section} routes on an AUTO_PASSTHROUGH server WHEN checked THEN one warning naming AUTO_PASSTHROUGH`, async () => {
    const found = await findings(server(443, 'AUTO_PASSTHROUGH'), section);
    assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
    assert.ok(found[0]!.message.includes(`The ${section} routes`) && found[0]!.message.includes('ignores VirtualServices'), found[0]!.message);
  });
}

test('GIVEN tls routes on a PASSTHROUGH server WHEN checked THEN no finding', async () => {
  assert.equal((await findings(server(443, 'PASSTHROUGH'), 'tls')).map((f) => f.message), []);
});

test('GIVEN tcp routes on a PASSTHROUGH server WHEN checked THEN one warning saying it applies only tls routes', async () => {
  const found = await findings(server(443, 'PASSTHROUGH'), 'tcp');
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.ok(found[0]!.message.includes('The tcp routes') && found[0]!.message.includes('applies only tls routes'), found[0]!.message);
});

test('GIVEN tcp routes on a TLS server that terminates (SIMPLE) WHEN checked THEN no finding', async () => {
  assert.equal((await findings(`${server(443, 'SIMPLE')}\n    # credential\n`.replace('tls: {mode: SIMPLE}', 'tls: {mode: SIMPLE, credentialName: shop-cert}'), 'tcp')).map((f) => f.message), []);
});

test('GIVEN a tls rule matching port 443 where 443 is AUTO_PASSTHROUGH beside a PASSTHROUGH 8443 WHEN checked THEN the rule is reported', async () => {
  const found = await findings(`${server(443, 'AUTO_PASSTHROUGH')}\n${server(8443, 'PASSTHROUGH')}`, 'tls');
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.ok(found[0]!.message.includes('matches only port 443'), found[0]!.message);
});

test.run();
