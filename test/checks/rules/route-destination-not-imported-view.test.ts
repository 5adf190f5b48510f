/**
 * sidecar/route-destination-not-imported and the per-proxy view agree: the rule reports a route
 * destination exactly when the sidecars the Sidecar configures have no cluster for it (both read
 * istiod's SidecarScope from `mesh/view/sidecar-imports.ts`). Over fixture 12zr with its Sidecar's
 * egress listeners rewritten.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import rule from '../../../src/checks/rules/sidecar/route-destination-not-imported.js';
import { runRules } from '../../../src/checks/engine.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { graphOfYaml } from './_harness.js';

const FIXTURE = readFileSync(resolve(import.meta.dirname, '../../fixtures/cases/real-world-variants/12zr-sidecar-port-listener-skips-vs-destination-other-port.yaml'), 'utf8');
const EGRESS = '  egress:\n  - port: {number: 9080, protocol: HTTP, name: http}\n    hosts: ["./*", "istio-system/*"]\n';

const table: [string, string, boolean][] = [
  ['the fixture: one listener on 9080', EGRESS, true],
  ['plus a listener without port importing ledger/*', `${EGRESS}  - hosts: ["ledger/*"]\n`, false],
  ['plus a listener on 8080 importing ledger/*', `${EGRESS}  - port: {number: 8080, protocol: HTTP, name: http-ledger}\n    hosts: ["ledger/*"]\n`, false],
  ['ledger imported by host on the 9080 listener, which it lacks', '  egress:\n  - port: {number: 9080, protocol: HTTP, name: http}\n    hosts: ["./*", "*/ledger.ledger.svc.cluster.local"]\n', true],
  ['an HTTP_PROXY listener (no port match)', '  egress:\n  - port: {number: 9080, protocol: HTTP_PROXY, name: proxy}\n    hosts: ["./*"]\n', false],
];

test('GIVEN 12zr with each Sidecar egress variant WHEN the rule runs and shop\'s sidecar is viewed THEN the rule reports /ledger exactly when the view has no cluster for its destination', async () => {
  assert.ok(FIXTURE.includes(EGRESS), 'the fixture still has the egress this test rewrites');
  for (const [what, egress, missing] of table) {
    const graph = await graphOfYaml(FIXTURE.replace(EGRESS, egress));
    const reported = runRules(graph, [rule]).some((f) => f.ruleId === rule.id && f.message.includes('ledger.ledger.svc.cluster.local port 8080'));
    const proxy = proxiesOf(graph).find((p) => p.type === 'sidecar' && p.namespace === 'shop')!;
    const view = buildProxyView(graph, proxy);
    const d = view.routes.find((r) => r.host === 'orders.shop.svc.cluster.local' && r.port === 9080)!.http[0]!.destinations[0]!;
    const noCluster = !view.clusters.some((c) => c.name === d.cluster);
    assert.equal([reported, noCluster], [missing, missing], what);
  }
});

test.run();
