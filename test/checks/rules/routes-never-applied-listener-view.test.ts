/**
 * routing/routes-never-applied and the per-proxy view agree on a Sidecar egress listener bound to a
 * port whose protocol differs from the service port's (istiod `buildSidecarOutboundListeners` builds
 * the listener with the Sidecar's protocol): the rule says a VirtualService's http (or tcp) routes
 * never apply to the client namespace exactly when the view of a sidecar there has none of them for
 * that host. Over the case variants 25zd–25zh (the rule's), with the listener's protocol rewritten.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/routes-never-applied.js';
import { runRules } from '../../../src/checks/engine.js';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { graphOfYaml } from './_harness.js';

const dir = resolve(import.meta.dirname, '../../fixtures/cases/real-world-variants');
/** Variant, the VirtualService, its host, the section it writes, the listener's protocol as written. */
const VARIANTS: [file: string, vs: string, host: string, section: 'http' | 'tcp', protocol: string][] = [
  ['25zd-sidecar-egress-port-tcp-over-http-service.yaml', 'orders', 'orders.shop.svc.cluster.local', 'http', 'TCP'],
  ['25ze-sidecar-egress-port-http-over-http-service-negative.yaml', 'orders', 'orders.shop.svc.cluster.local', 'http', 'HTTP'],
  ['25zf-sidecar-egress-port-http-over-tcp-service.yaml', 'ledger', 'ledger.ledger.svc.cluster.local', 'tcp', 'HTTP'],
  ['25zg-sidecar-egress-port-tcp-over-tcp-service-negative.yaml', 'ledger', 'ledger.ledger.svc.cluster.local', 'tcp', 'TCP'],
  ['25zh-mesh-default-sidecar-egress-port-tcp-over-http-service.yaml', 'orders', 'orders.shop.svc.cluster.local', 'http', 'TCP'],
];

test('GIVEN each variant with its egress listener declared TCP, HTTP or without protocol WHEN the rule runs and a sidecar of web is viewed THEN the rule reports the routes exactly when the view has none of them for the host', async () => {
  let reportedSome = false;
  let keptSome = false;
  for (const [file, name, host, section, written] of VARIANTS) {
    const text = readFileSync(resolve(dir, file), 'utf8');
    assert.ok(text.includes(`protocol: ${written}`), `${file} still declares protocol ${written}`);
    for (const protocol of ['TCP', 'HTTP', null]) {
      const yaml = text.replace(`protocol: ${written}, `, protocol === null ? '' : `protocol: ${protocol}, `);
      const graph = await graphOfYaml(yaml);
      const reported = runRules(graph, [rule]).some((f) => f.resource?.name === name && f.message.startsWith(`The ${section} routes of this VirtualService for ${host} are never applied`));
      const view = buildProxyView(graph, describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } }));
      const applied = view.routes.some((r) => r.host === host && r[section].length > 0);
      assert.is(reported, !applied, `${file} with ${protocol ?? 'no protocol'}: reported ${reported}, the view ${applied ? 'has' : 'lacks'} the ${section} routes`);
      reportedSome ||= reported;
      keptSome ||= applied;
    }
  }
  assert.ok(reportedSome && keptSome, 'both outcomes occur');
});

test.run();
