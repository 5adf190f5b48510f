/**
 * routing/match-port-not-served and the per-proxy view agree on a Sidecar egress listener bound to a Service port
 * (istiod buildSidecarOutboundListeners builds the listener with the Sidecar's port.protocol, not the Service
 * port's): the rule says a match entry's port never matches exactly when the view of a sidecar the Sidecar
 * configures has no http routes for the host on that port. Over every pairing of the listener's protocol (TCP,
 * HTTP, left out) with the Service port's (HTTP, TCP, sniffed), the Sidecar being the mesh-wide default.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/match-port-not-served.js';
import { runRules } from '../../../src/checks/engine.js';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { graphOfYaml } from './_harness.js';

const HOST = 'orders.shop.svc.cluster.local';

function yaml(listenerProtocol: string | null, servicePortName: string, sidecarNamespace = 'istio-system'): string {
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: ${sidecarNamespace}}
spec:
  egress:
  - port: {number: 8080, ${listenerProtocol === null ? '' : `protocol: ${listenerProtocol}, `}name: egress-8080}
    hosts: ["*/*"]
  - hosts: ["*/*"]
---
apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports:
  - {name: http, port: 80, targetPort: 9080}
  - {name: ${servicePortName}, port: 8080, targetPort: 9090}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders, namespace: shop}
spec:
  hosts: [orders]
  http:
  - match: [{port: 8080}]
    route: [{destination: {host: orders, port: {number: 8080}}}]
  - route: [{destination: {host: orders, port: {number: 80}}}]
`;
}

const reportsPort8080 = (findings: { ruleId: string; message: string }[]) => findings.some((f) => f.message.startsWith('Match[0] port 8080'));

test('GIVEN the mesh-default Sidecar binding 8080 with each protocol over each Service port protocol WHEN the rule runs and a sidecar of web is viewed THEN the rule reports port 8080 exactly when the view has no http routes there', async () => {
  let reportedSome = false;
  let keptSome = false;
  for (const listener of ['TCP', 'HTTP', null]) {
    for (const portName of ['http-api', 'tcp-api', 'api']) {
      const graph = await graphOfYaml(yaml(listener, portName));
      const reported = reportsPort8080(runRules(graph, [rule]));
      const view = buildProxyView(graph, describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } }));
      const applied = view.routes.some((r) => r.host === HOST && r.port === 8080 && r.http.length > 0);
      assert.is(reported, !applied, `listener ${listener ?? 'without protocol'} over Service port "${portName}": reported ${reported}, the view ${applied ? 'has' : 'lacks'} http routes on 8080`);
      reportedSome ||= reported;
      keptSome ||= applied;
    }
  }
  assert.ok(reportedSome && keptSome, 'both outcomes occur');
});

test('GIVEN a TCP egress listener on an HTTP Service port in one namespace\'s Sidecar only WHEN the rule runs THEN no finding (clients elsewhere, under no Sidecar, still match on 8080)', async () => {
  const graph = await graphOfYaml(yaml('TCP', 'http-api', 'web'));
  assert.is(reportsPort8080(runRules(graph, [rule])), false);
});

test('GIVEN the mesh-default Sidecar declares 8080 TCP over an HTTP Service port WHEN the rule runs THEN the message names the Sidecar listener and the fix', async () => {
  const graph = await graphOfYaml(yaml('TCP', 'http-api'));
  const f = runRules(graph, [rule]).find((x) => x.message.startsWith('Match[0] port 8080'));
  assert.ok(f && f.message.includes('egress listener of Sidecar istio-system/default on port 8080 is declared TCP'), f?.message);
  assert.is(f!.location.line, 25);
});

test.run();
