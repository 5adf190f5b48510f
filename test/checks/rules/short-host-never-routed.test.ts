/**
 * `serviceentry/short-host-never-routed`: istiod keeps a ServiceEntry host as written (`serviceentry/conversion.go`)
 * but expands a VirtualService's short hosts and destinations in its own namespace (`ResolveShortnameToFQDN`), so
 * `hosts: [payments]` on a ServiceEntry never meets a VirtualService's `payments`. `istioctl analyze` expands both
 * (util.InitServiceEntryHostMap), so IST0101 stays silent where the entry is in the VirtualService's namespace.
 */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import destinationHostExists from '../../../src/checks/rules/references/destination-host-exists.js';
import destinationRuleHostExists from '../../../src/checks/rules/references/destination-rule-host-exists.js';
import subsetExists from '../../../src/checks/rules/references/subset-exists.js';
import subsetNotApplied from '../../../src/checks/rules/references/subset-not-applied.js';
import subsetSelectsNoEndpoint from '../../../src/checks/rules/references/subset-selects-no-endpoint.js';
import subsetSelectsWorkload from '../../../src/checks/rules/references/subset-selects-workload.js';
import rule from '../../../src/checks/rules/serviceentry/short-host-never-routed.js';
import { findingsOf } from './_harness.js';

const fail = fs.readFileSync(new URL('../../fixtures/rules/serviceentry/short-host-never-routed/fail.yaml', import.meta.url), 'utf8');
const entry = (host: string, namespace = 'shop', exportTo?: string) => [
  'apiVersion: networking.istio.io/v1', 'kind: ServiceEntry', `metadata: {name: ext, namespace: ${namespace}}`, 'spec:',
  `  hosts: ["${host}"]`, ...(exportTo ? [`  exportTo: ["${exportTo}"]`] : []),
  '  ports: [{number: 80, name: http, protocol: HTTP}]', '  resolution: DNS',
].join('\n');
const virtualService = (namespace: string, host: string, destination: string) => [
  'apiVersion: networking.istio.io/v1', 'kind: VirtualService', `metadata: {name: vs, namespace: ${namespace}}`, 'spec:',
  `  hosts: ["${host}"]`, '  http:', '  - route:', `    - destination: {host: "${destination}"}`,
].join('\n');
const yaml = (...docs: string[]) => docs.join('\n---\n');

test('GIVEN the fail fixture WHEN IST0101 runs THEN it is silent (the analyzer expands the ServiceEntry host too), while this rule reports both VirtualServices', async () => {
  assert.equal(await findingsOf(fail, [destinationHostExists]), []);
  const found = await findingsOf(fail, [rule]);
  assert.equal(found.map((f) => `${f.resource!.name} ${f.severity}`), ['payments warning', 'payments error', 'payments-from-web warning', 'payments-from-web error']);
});

test('GIVEN the ServiceEntry host written as the VirtualService resolves it WHEN checked THEN nothing is reported', async () => {
  assert.equal(await findingsOf(yaml(entry('payments.shop.svc.cluster.local'), virtualService('shop', 'payments', 'payments')), [rule]), []);
});

test('GIVEN a short host in another namespace WHEN a VirtualService elsewhere names it THEN its host is reported, its destination left to IST0101', async () => {
  const text = yaml(entry('payments', 'shop'), virtualService('web', 'payments', 'payments'));
  const found = await findingsOf(text, [rule]);
  assert.is(found.length, 1);
  assert.ok(found[0]!.message.startsWith('Host "payments" resolves to payments.web.svc.cluster.local'), found[0]!.message);
  assert.is((await findingsOf(text, [destinationHostExists])).length, 1);
});

test('GIVEN the ServiceEntry is not exported to the VirtualService namespace WHEN checked THEN it is not meant, and not reported', async () => {
  assert.equal(await findingsOf(yaml(entry('payments', 'shop', '.'), virtualService('web', 'payments', 'payments')), [rule]), []);
});

const subsetsYaml = [
  'apiVersion: networking.istio.io/v1', 'kind: DestinationRule', 'metadata: {name: payments, namespace: shop}', 'spec:',
  '  host: payments', '  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]',
].join('\n');
const endpointEntry = [
  'apiVersion: networking.istio.io/v1', 'kind: ServiceEntry', 'metadata: {name: payments-ext, namespace: shop}', 'spec:',
  '  hosts: [payments]', '  location: MESH_INTERNAL', '  resolution: STATIC', '  ports: [{number: 80, name: http, protocol: HTTP}]',
  '  endpoints: [{address: 10.0.0.9, labels: {version: v1}}]',
].join('\n');
const subsetRoutes = [
  'apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata: {name: payments, namespace: shop}', 'spec:',
  '  hosts: [payments]', '  http:', '  - route:', '    - destination: {host: payments, subset: v1}', '      weight: 50',
  '    - destination: {host: payments, subset: v3}', '      weight: 50',
].join('\n');

test('GIVEN a short ServiceEntry host with a DestinationRule "payments" and subsets WHEN the istioctl-parity rules run THEN they read the host as the analyzers expand it (the model keeps it as written): no IST0174, IST0173 judges v1 and v2, IST0101 reports the missing subset v3', async () => {
  const parity = [destinationRuleHostExists, destinationHostExists, subsetExists, subsetNotApplied, subsetSelectsNoEndpoint, subsetSelectsWorkload];
  const found = await findingsOf(yaml(endpointEntry, subsetsYaml, subsetRoutes), parity);
  assert.equal(found.map((f) => `${f.istioCode} ${f.ruleId} ${f.severity}`).sort(), [
    'IST0101 references/subset-exists error', 'IST0173 references/subset-selects-workload error', 'IST0173 references/subset-selects-workload info',
  ]);
});

test('GIVEN a DestinationRule "payments" beside the short ServiceEntry host "payments" WHEN checked THEN its host is reported (IST0174 is silent), and written with the expanded host on both it is not', async () => {
  const found = await findingsOf(yaml(endpointEntry, subsetsYaml), [rule]);
  assert.equal(found.map((f) => `${f.resource!.kind} ${f.resource!.name} ${f.severity} ${f.fieldPath?.join('.')}`), ['DestinationRule payments warning spec.host']);
  assert.match(found[0]!.message, /^Host "payments" resolves to payments\.shop\.svc\.cluster\.local \(istiod expands a DestinationRule's short host in its own namespace\), but ServiceEntry shop\/payments-ext declares the host "payments", which istiod keeps as written: this DestinationRule's traffic policy and subsets never apply to it/);
  assert.equal(await findingsOf(yaml(endpointEntry, subsetsYaml), [destinationRuleHostExists]), []);
  const written = (t: string) => t.replace('hosts: [payments]', 'hosts: [payments.shop.svc.cluster.local]').replace('host: payments', 'host: payments.shop.svc.cluster.local');
  assert.equal(await findingsOf(yaml(written(endpointEntry), written(subsetsYaml)), [rule]), []);
});

test('GIVEN the DestinationRule in another namespace than the short ServiceEntry host WHEN checked THEN this rule leaves it to IST0174, which reports it', async () => {
  const elsewhere = subsetsYaml.replace('namespace: shop', 'namespace: web');
  assert.equal(await findingsOf(yaml(endpointEntry, elsewhere), [rule]), []);
  assert.is((await findingsOf(yaml(endpointEntry, elsewhere), [destinationRuleHostExists])).length, 1);
});

test('GIVEN a DestinationRule written with the expanded host payments.shop.svc.cluster.local beside the short ServiceEntry host "payments" WHEN checked THEN it is reported without saying istiod expanded a short host', async () => {
  const fqdn = subsetsYaml.replace('host: payments', 'host: payments.shop.svc.cluster.local');
  const found = await findingsOf(yaml(endpointEntry, fqdn), [rule]);
  assert.equal(found.map((f) => `${f.resource!.kind} ${f.resource!.name} ${f.fieldPath?.join('.')}`), ['DestinationRule payments spec.host']);
  assert.match(found[0]!.message, /^Host "payments\.shop\.svc\.cluster\.local" names payments\.shop\.svc\.cluster\.local as written, but ServiceEntry shop\/payments-ext declares the host "payments"/);
});

test.run();
