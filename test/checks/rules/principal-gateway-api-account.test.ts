/**
 * security/principal-not-found knows the service account istiod deploys a Gateway API Gateway with
 * (gatewaycommon/deploymentcontroller.go: the gateway.istio.io/service-account annotation, else
 * GetDefaultName: `<name>-<gatewayClassName>`, or `<name>` for classes with DisableNameSuffix such as
 * istio-waypoint): those pods are not in the input, so a principal naming that account is not a typo.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/security/principal-not-found.js';
import { findingsOf } from './_harness.js';

function findings(principal: string, gateway: string) {
  return findingsOf(`apiVersion: v1
kind: Namespace
metadata: {name: edge, labels: {istio-injection: enabled}}
---
${gateway}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge-debug, namespace: edge}
spec:
  selector: {matchLabels: {app: edge-debug}}
  template:
    metadata: {labels: {app: edge-debug}}
    spec: {serviceAccountName: debug, containers: [{name: shell, image: busybox:1.36}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: callers, namespace: payments}
spec:
  action: ALLOW
  rules: [{from: [{source: {principals: ["${principal}"]}}]}]
`, [rule]);
}

const gw = (cls: string, annotations = '') => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: edge${annotations}}
spec:
  gatewayClassName: ${cls}
  listeners: [{name: http, port: 80, protocol: HTTP}]`;

const QUIET: [string, string, string][] = [
  ['class istio: <name>-istio', 'cluster.local/ns/edge/sa/web-istio', gw('istio')],
  ['a waypoint: <name>', 'cluster.local/ns/edge/sa/web', gw('istio-waypoint')],
  ['a custom class of the Istio controller: <name>-<class>', 'cluster.local/ns/edge/sa/web-internal', gw('internal')],
  ['the service-account annotation', 'cluster.local/ns/edge/sa/edge-proxy', gw('istio', ', annotations: {gateway.istio.io/service-account: edge-proxy}')],
];
for (const [what, principal, gateway] of QUIET) {
  test(`GIVEN a principal for the account of a Gateway API gateway (${what}) WHEN checked THEN nothing`, async () => {
    assert.equal((await findings(principal, gateway)).map((f) => f.message), []);
  });
}

test('GIVEN a principal misspelling the deployed account (web-isito) WHEN checked THEN it is reported', async () => {
  const found = await findings('cluster.local/ns/edge/sa/web-isito', gw('istio'));
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.ok(found[0]!.message.includes('web-isito'), found[0]!.message);
});

test('GIVEN an Istio (networking.istio.io) Gateway named web WHEN a principal names web-istio THEN it is reported (istiod deploys nothing for it)', async () => {
  const found = await findings('cluster.local/ns/edge/sa/web-istio', `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]`);
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
});

test.run();
