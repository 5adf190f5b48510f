/**
 * egress/external-without-resilience looks DestinationRules up by the host istiod gives a ServiceEntry: a short host
 * `payments` is kept as written (`serviceentry/conversion.go` `convertServices`), while a DestinationRule host
 * `payments` is expanded in its namespace (`model.ResolveShortnameToFQDN`), so that rule never protects the entry.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import resilience from '../../../src/checks/rules/egress/external-without-resilience.js';
import { graphOfYaml } from './_harness.js';

const se = (host: string) => `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments, namespace: shop}
spec:
  hosts: [${host}]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  location: MESH_EXTERNAL
  endpoints: [{address: payments.example.com}]
`;
const rule = (host: string) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: payments, namespace: shop}
spec:
  host: ${host}
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 100}}
    outlierDetection: {consecutive5xxErrors: 5}
`;
const run = async (yaml: string) => runRules(await graphOfYaml(yaml), [resilience], {}).map((f) => f.message);

test('GIVEN a ServiceEntry host "payments" and a DestinationRule host "payments" beside it WHEN checked THEN the entry is reported unprotected, naming the expansion the rule applies to', async () => {
  const found = await run(se('payments') + rule('payments'));
  assert.is(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /External host "payments" has no resilience policy: no DestinationRule applies to it \(DestinationRule shop\/payments names payments\.shop\.svc\.cluster\.local: istiod expands/);
});

test('GIVEN a ServiceEntry host with a dot and the DestinationRule naming it WHEN checked THEN nothing is reported (the control case)', async () => {
  assert.equal(await run(se('payments.example.com') + rule('payments.example.com')), []);
});

test('GIVEN a short ServiceEntry host and a DestinationRule "*" in the root namespace WHEN checked THEN the wildcard rule protects it, as istiod applies it', async () => {
  const root = rule('"*"').replace('namespace: shop', 'namespace: istio-system');
  assert.equal(await run(se('payments') + root), []);
});

test.run();
