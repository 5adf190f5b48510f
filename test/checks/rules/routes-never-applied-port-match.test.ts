/**
 * routing/routes-never-applied, per rule: a rule whose every match names a port is applied only on
 * those ports (gateway server ports, or Service ports on sidecars); when none of them carries the rule's
 * kind of traffic it is never applied, even though its section as a whole is.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import routesNeverApplied from '../../../src/checks/rules/routing/routes-never-applied.js';
import { findingsOf } from './_harness.js';

function findings(yaml: string) {
  return findingsOf(yaml, [routesNeverApplied]);
}

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-cert}
  - port: {number: 8443, name: tls, protocol: TLS}
    hosts: [shop.example.com]
    tls: {mode: PASSTHROUGH}
---
`;
const tlsVs = (match: string) => `${GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  tls:
  - match: [${match}]
    route: [{destination: {host: shop-backend.shop.svc.cluster.local, port: {number: 443}}}]
`;

test('GIVEN a tls rule matching only the terminating 443 server (8443 passes through) WHEN checked THEN that rule is reported at its match, naming the server', async () => {
  const found = await findings(tlsVs('{port: 443, sniHosts: [shop.example.com]}'));
  assert.is(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.equal(found[0]!.fieldPath, ['spec', 'tls', 0, 'match']);
  assert.match(found[0]!.message, /spec\.tls\[0\] matches only port 443, and no such port carries TLS traffic \(Gateway shop\/gw server 0 \(port 443 HTTPS, TLS SIMPLE terminated: HTTP\)\)/);
  assert.match(found[0]!.message, /PASSTHROUGH/);
});

test('GIVEN the tls rule matching the passthrough port 8443 WHEN checked THEN nothing', async () => {
  assert.equal((await findings(tlsVs('{port: 8443, sniHosts: [shop.example.com]}'))).map((f) => f.message), []);
});

test('GIVEN a tls rule with one match on 443 and one on 8443 WHEN checked THEN nothing (8443 applies it)', async () => {
  assert.equal((await findings(tlsVs('{port: 443, sniHosts: [shop.example.com]}, {port: 8443, sniHosts: [shop.example.com]}'))).map((f) => f.message), []);
});

test('GIVEN a tls rule without a port match WHEN checked THEN nothing (it applies on 8443)', async () => {
  assert.equal((await findings(tlsVs('{sniHosts: [shop.example.com]}'))).map((f) => f.message), []);
});

test('GIVEN a tls rule on port 443 restricted by match.gateways to another gateway WHEN checked THEN nothing is claimed for gw', async () => {
  assert.equal((await findings(tlsVs('{port: 443, sniHosts: [shop.example.com], gateways: [other]}'))).map((f) => f.message), []);
});

test('GIVEN a mesh http rule matching the tcp-named port of a Service that also has an http port WHEN checked THEN that rule is reported', async () => {
  const found = await findings(`apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: shop}
spec:
  selector: {app: ledger}
  ports: [{name: http, port: 8080}, {name: tcp-db, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ledger, namespace: shop}
spec:
  hosts: [ledger]
  http:
  - name: db-admin
    match: [{port: 5432, uri: {prefix: /admin}}]
    route: [{destination: {host: ledger, port: {number: 5432}}}]
  - route: [{destination: {host: ledger, port: {number: 8080}}}]
`);
  assert.is(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.match(found[0]!.message, /route "db-admin" \(spec\.http\[0\]\) matches only port 5432, and no such port carries HTTP traffic \(Service shop\/ledger port 5432 \(TCP by its name "tcp-db"\)\)/);
});

test.run();
