/**
 * The Deployment istiod creates for a Gateway API Gateway is a workload of the graph (`gateway-api-deployment.ts`),
 * but rules that mirror what `istioctl analyze` sees in the input judge only the input's workloads: an input
 * holding only Gateway API config gets no mesh-wide-mTLS finding anchored on a Deployment it does not hold, and no
 * IST0166 for a selector matching only the pods istiod would create. A real gateway pod in the input still counts.
 * The Service istiod creates with the Deployment is a service of the graph: references to its host are found.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import ineffectiveSelector from '../../../src/checks/rules/gatewayapi/ineffective-selector.js';
import destinationHostExists from '../../../src/checks/rules/references/destination-host-exists.js';
import destinationRuleHostExists from '../../../src/checks/rules/references/destination-rule-host-exists.js';
import meshStrictMtls from '../../../src/checks/rules/security/mesh-strict-mtls.js';
import { findingsOf, graphOfYaml } from './_harness.js';

const gatewayApi = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: edge-logs, namespace: shop}
spec:
  selector: {matchLabels: {gateway.networking.k8s.io/gateway-name: edge}}
  accessLogging: [{providers: [{name: envoy}]}]
`;

const gatewayPod = `---
apiVersion: v1
kind: Pod
metadata: {name: edge-istio-abc, namespace: shop, labels: {gateway.networking.k8s.io/gateway-name: edge}}
spec: {containers: [{name: istio-proxy, image: proxyv2, args: [proxy, router]}]}
`;

test('GIVEN only Gateway API config (the gateway workload is istiod\'s, not the input\'s) WHEN checked THEN no mesh-strict-mtls finding on the generated Deployment and no ineffective-selector', async () => {
  const g = await graphOfYaml(gatewayApi);
  assert.equal(g.workloads.all.map((w) => w.name), ['edge-istio'], 'the generated workload is in the graph');
  assert.equal(await findingsOf(gatewayApi, [meshStrictMtls, ineffectiveSelector]), []);
});

test('GIVEN the gateway pod itself in the input WHEN checked THEN the Telemetry selector is ineffective (IST0166) and mesh-strict-mtls is reported on the pod', async () => {
  const found = await findingsOf(gatewayApi + gatewayPod, [meshStrictMtls, ineffectiveSelector]);
  assert.equal(found.map((f) => [f.ruleId, `${f.resource?.kind}/${f.resource?.name}`]).sort(), [
    ['gatewayapi/ineffective-selector', 'Telemetry/edge-logs'],
    ['security/mesh-strict-mtls', 'Pod/edge-istio-abc'],
  ]);
});

const towardGateway = `---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: to-edge, namespace: shop}
spec:
  hosts: [edge-istio.shop.svc.cluster.local]
  http: [{route: [{destination: {host: edge-istio, port: {number: 80}}}]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: edge, namespace: shop}
spec:
  host: edge-istio.shop.svc.cluster.local
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
`;

test('GIVEN a VirtualService and a DestinationRule for the Service istiod creates with the Gateway (edge-istio) WHEN checked THEN its host is found; with the Gateway of another controller it is not', async () => {
  assert.equal(await findingsOf(gatewayApi + towardGateway, [destinationHostExists, destinationRuleHostExists]), []);
  const other = gatewayApi.replace('gatewayClassName: istio', 'gatewayClassName: nginx');
  const found = await findingsOf(other + towardGateway, [destinationHostExists, destinationRuleHostExists]);
  assert.equal([...new Set(found.map((f) => f.ruleId))].sort(), ['references/destination-host-exists', 'references/destination-rule-host-exists']);
});

test.run();
