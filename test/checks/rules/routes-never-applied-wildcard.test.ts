/**
 * A mesh VirtualService host that is a wildcard inside the cluster domain (`*.ledger.svc.cluster.local`)
 * stands for exactly the services it covers (routing/_helpers.ts meshServicesOfHost): when none of their
 * ports carries HTTP, its http routes are never applied (routing/routes-never-applied) and its missing
 * default route is moot (routing/default-route-required stays quiet). A wildcard outside the cluster domain
 * may stand for hosts the input does not list, so it is left alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import routesNeverApplied from '../../../src/checks/rules/routing/routes-never-applied.js';
import defaultRouteRequired from '../../../src/checks/rules/routing/default-route-required.js';
import { findingsOf } from './_harness.js';

function findings(host: string, ports: string[]) {
  const services = ports.map((p, i) => `apiVersion: v1
kind: Service
metadata: {name: svc-${i}, namespace: ledger}
spec:
  selector: {app: svc-${i}}
  ports: [${p}]
---
`).join('');
  return findingsOf(`${services}apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external, namespace: ledger}
spec:
  hosts: [db.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 5432, name: tcp-pg, protocol: TCP}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: ledger}
spec:
  hosts: [${JSON.stringify(host)}]
  http:
  - match: [{uri: {prefix: /v1}}]
    route: [{destination: {host: svc-0.ledger.svc.cluster.local}}]
`, [routesNeverApplied, defaultRouteRequired]);
}

const ids = (fs: readonly { ruleId: string }[]) => fs.map((f) => f.ruleId).sort();

test('GIVEN *.ledger.svc.cluster.local over one tcp- port WHEN checked THEN the http routes are never applied, and no default-route finding', async () => {
  const found = await findings('*.ledger.svc.cluster.local', ['{name: tcp-ledger, port: 8111}']);
  assert.equal(ids(found), ['routing/routes-never-applied'], found.map((f) => f.message).join('\n'));
  assert.ok(found[0]!.message.includes('Service ledger/svc-0 port 8111 (TCP'), found[0]!.message);
});

test('GIVEN two TCP-like ports under the wildcard (tcp-, redis) WHEN checked THEN never applied', async () => {
  assert.equal(ids(await findings('*.ledger.svc.cluster.local', ['{name: tcp-ledger, port: 8111}', '{name: redis, port: 6379}'])), ['routing/routes-never-applied']);
});

test('GIVEN *.ledger (a host with a dot is taken as written by Istio ResolveShortnameToFQDN, so it covers no cluster service) WHEN checked THEN no routes-never-applied', async () => {
  assert.not.ok(ids(await findings('*.ledger', ['{name: tcp-ledger, port: 8111}'])).includes('routing/routes-never-applied'));
});

test('GIVEN the wildcard covering one TCP and one HTTP service WHEN checked THEN the http routes apply (only the missing default route is reported)', async () => {
  assert.equal(ids(await findings('*.ledger.svc.cluster.local', ['{name: tcp-ledger, port: 8111}', '{name: http, port: 80}'])), ['routing/default-route-required']);
});

test('GIVEN a wildcard outside the cluster domain (*.example.com) over a TCP ServiceEntry WHEN checked THEN no routes-never-applied (hosts beyond the input may exist)', async () => {
  assert.not.ok(ids(await findings('*.example.com', ['{name: tcp-ledger, port: 8111}'])).includes('routing/routes-never-applied'));
});

test.run();
