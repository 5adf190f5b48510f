/**
 * egress/external-without-resilience leaves a host to references/destination-rule-host-exists (IST0174) when the
 * DestinationRule meant for it writes the host in other letter case and so applies to nothing: one mistake, one
 * finding, the one that names the fix. When that rule applies to another host (IST0174 silent), the ServiceEntry
 * host written with capitals is still reported.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import resilience from '../../../src/checks/rules/egress/external-without-resilience.js';
import drHostExists from '../../../src/checks/rules/references/destination-rule-host-exists.js';
import { graphOfYaml } from './_harness.js';

const se = (name: string, host: string) => `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: shop}
spec:
  hosts: [${host}]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
  location: MESH_EXTERNAL
`;
const rule = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: partner, namespace: shop}
spec:
  host: api.partner.example
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 100}}
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
`;
const run = async (yaml: string) => runRules(await graphOfYaml(yaml), [resilience, drHostExists], {}).map((f) => `${f.ruleId} ${f.resource?.kind}/${f.resource?.name}`);

test('GIVEN a ServiceEntry host API.Partner.example and a DestinationRule api.partner.example WHEN checked THEN only IST0174 reports (on the rule)', async () => {
  assert.equal(await run(se('partner', 'API.Partner.example') + rule), ['references/destination-rule-host-exists DestinationRule/partner']);
});

test('GIVEN the same rule also matching a lower-case ServiceEntry WHEN checked THEN IST0174 is silent and the capitalised host is reported as unprotected', async () => {
  assert.equal(await run(se('partner', 'API.Partner.example') + se('partner-lower', 'api.partner.example') + rule), ['egress/external-without-resilience ServiceEntry/partner']);
});

test('GIVEN no DestinationRule at all WHEN checked THEN the host is reported as unprotected', async () => {
  assert.equal(await run(se('partner', 'API.Partner.example')), ['egress/external-without-resilience ServiceEntry/partner']);
});

test.run();
