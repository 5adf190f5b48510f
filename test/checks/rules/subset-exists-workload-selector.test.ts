/**
 * references/subset-exists with DestinationRules that carry a workloadSelector in the client's namespace:
 * istiod uses such a rule for the proxies it selects (SidecarScope.DestinationRule), so the subset is judged
 * per client workload of the VirtualService's namespace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import subsetExists from '../../../src/checks/rules/references/subset-exists.js';
import subsetNotApplied from '../../../src/checks/rules/references/subset-not-applied.js';
import { findingsOf } from './_harness.js';

/** Clients web (tier front) and reports (tier back) in `web`; a rule in web selecting `selector` with `subsets`; optionally the host namespace's rule with v1. */
function findings(selector: string, subsets: string, hostRule: boolean, uninjectedBatch = false) {
  const deploy = (name: string, tier: string, inject = true) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: web}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}, tier: ${tier}${inject ? '' : ', sidecar.istio.io/inject: "false"'}}}
    spec: {containers: [{name: app, image: ${name}:1}]}
`;
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: catalog, namespace: catalog}
spec:
  selector: {app: catalog}
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: catalog, namespace: web}
spec:
  hosts: [catalog.catalog.svc.cluster.local]
  http:
  - route: [{destination: {host: catalog.catalog.svc.cluster.local, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: selected, namespace: web}
spec:
  host: catalog.catalog.svc.cluster.local
  workloadSelector: {matchLabels: ${selector}}
  subsets: ${subsets}
${hostRule ? `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: catalog, namespace: catalog}
spec:
  host: catalog
  subsets: [{name: v1, labels: {version: v1}}]
` : ''}${deploy('web', 'front')}${deploy('reports', 'front')}${uninjectedBatch ? deploy('batch', 'back', false) : ''}`, [subsetExists, subsetNotApplied]);
}

test('GIVEN the only rule with subset v1 selects every client workload (tier front) WHEN checked THEN nothing', async () => {
  assert.equal((await findings('{tier: front}', '[{name: v1, labels: {version: v1}}]', false)).map((f) => f.message), []);
});

test('GIVEN that rule selects one client (app web) of two WHEN checked THEN the other client (reports) is named', async () => {
  const found = await findings('{app: web}', '[{name: v1, labels: {version: v1}}]', false);
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('Deployment web/reports') && !found[0]!.message.includes('Deployment web/web'), found[0]!.message);
});

test('GIVEN that rule selects no client (tier back) WHEN checked THEN reported, saying its selector selects no workload there', async () => {
  const found = await findings('{tier: back}', '[{name: v1, labels: {version: v1}}]', false);
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('selects no workload of namespace web'), found[0]!.message);
});

test('GIVEN the host namespace defines v1 but a selected rule in web (no subsets) applies to every client WHEN checked THEN reported, naming that rule', async () => {
  const found = await findings('{tier: front}', '[]', true);
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('DestinationRule web/selected'), found[0]!.message);
});

test('GIVEN an unselected client without a sidecar (inject "false") WHEN checked THEN it is not counted (no proxy, no DestinationRule)', async () => {
  assert.equal((await findings('{tier: front}', '[{name: v1, labels: {version: v1}}]', false, true)).map((f) => f.message), []);
});

test.run();
