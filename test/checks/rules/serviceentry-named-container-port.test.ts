/**
 * A ServiceEntry with `workloadSelector` reaches a pod on the container port named like the entry
 * port before its `targetPort` or number (serviceentry/conversion.go
 * convertWorkloadInstanceToServiceInstance: `instance.PortMap[port.Name]` first; the pod's PortMap is
 * its named TCP container ports, kube/controller/pod.go getPortMap). The checks reading endpoint
 * ports follow the same rule as the sidecar inbound view (src/mesh/view/inbound.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import { buildInbound, proxyOf } from '../../../src/mesh/view/index.js';
import protocols from '../../../src/checks/rules/service/conflicting-target-port-protocols.js';
import disableTowardStrict from '../../../src/checks/rules/security/tls-disable-toward-strict.js';
import type { Rule } from '../../../src/checks/rule.js';
import { graphOfYaml } from './_harness.js';

/** Pod payments (container ports `ports`), ServiceEntry payments.internal (port `entryPort`, HTTP) selecting it, and `extra`. */
function yaml(ports: string, entryPort: string, extra: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: payments, namespace: shop}
spec:
  selector: {matchLabels: {app: payments}}
  template:
    metadata: {labels: {app: payments}}
    spec: {containers: [{name: app, image: payments:1, ports: ${ports}}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments-internal, namespace: shop}
spec:
  hosts: [payments.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector: {labels: {app: payments}}
  ports: [${entryPort}]
${extra}`;
}

async function run(text: string, rules: Rule[]) {
  const graph = await graphOfYaml(text);
  return { graph, findings: runRules(graph, rules, {}) };
}

const TCP_SERVICE = `---
apiVersion: v1
kind: Service
metadata: {name: payments-raw, namespace: shop}
spec:
  selector: {app: payments}
  ports: [{name: tcp-raw, port: 80, targetPort: 80}]
`;

test('GIVEN an entry port "http" 80 and a container port named http on 9090 WHEN the pod also takes raw TCP on 80 THEN no protocol conflict (the entry reaches 9090)', async () => {
  const { graph, findings } = await run(yaml('[{name: http, containerPort: 9090}, {containerPort: 80}]', '{name: http, number: 80, protocol: HTTP}', TCP_SERVICE), [protocols]);
  assert.equal(findings.map((f) => f.message), []);
  const pod = graph.workloads.all.find((w) => w.name === 'payments')!;
  const view = buildInbound(graph, proxyOf(graph, pod));
  assert.ok(view.ports.some((p) => p.port === 9090), `the view puts the entry on 9090: ${JSON.stringify(view.ports.map((p) => p.port))}`);
});

test('GIVEN the same entry WHEN a Service sends raw TCP to 9090 THEN both are reported on container port 9090', async () => {
  const svc = TCP_SERVICE.replace('port: 80, targetPort: 80', 'port: 9090, targetPort: 9090');
  const { findings } = await run(yaml('[{name: http, containerPort: 9090}, {containerPort: 80}]', '{name: http, number: 80, protocol: HTTP}', svc), [protocols]);
  assert.equal(findings.map((f) => f.resource?.name).sort(), ['payments-internal', 'payments-raw']);
  assert.ok(findings.every((f) => f.message.includes('container port 9090')), findings.map((f) => f.message).join('\n'));
});

test('GIVEN a container port named http that is UDP WHEN checked THEN the entry keeps its targetPort (only TCP ports are in the port map)', async () => {
  const { findings } = await run(yaml('[{name: http, containerPort: 9090, protocol: UDP}, {containerPort: 8080}]', '{name: http, number: 80, protocol: HTTP, targetPort: 8080}',
    TCP_SERVICE.replace('port: 80, targetPort: 80', 'port: 8080, targetPort: 8080')), [protocols]);
  assert.equal(findings.map((f) => f.resource?.name).sort(), ['payments-internal', 'payments-raw']);
});

const STRICT_9090 = `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: payments, namespace: shop}
spec:
  selector: {matchLabels: {app: payments}}
  mtls: {mode: PERMISSIVE}
  portLevelMtls: {9090: {mode: STRICT}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: payments-internal, namespace: web}
spec:
  host: payments.internal
  trafficPolicy: {tls: {mode: DISABLE}}
`;

test('GIVEN port-level STRICT on 9090 WHEN a client disables TLS toward the entry whose port is named like container port 9090 THEN it is reported', async () => {
  const { findings } = await run(yaml('[{name: http, containerPort: 9090}]', '{name: http, number: 80, protocol: HTTP}', STRICT_9090), [disableTowardStrict]);
  assert.equal(findings.map((f) => f.resource?.name), ['payments-internal'], findings.map((f) => f.message).join('\n'));
});

test('GIVEN port-level STRICT on 9090 WHEN the container port is named otherwise THEN the entry reaches 80 (PERMISSIVE) and nothing is reported', async () => {
  const { findings } = await run(yaml('[{name: web, containerPort: 9090}, {containerPort: 80}]', '{name: http, number: 80, protocol: HTTP}', STRICT_9090), [disableTowardStrict]);
  assert.equal(findings.map((f) => f.message), []);
});

test.run();
