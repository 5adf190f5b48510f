/**
 * gateway/selector-matches-no-workload: when Istio's default selector (istio: ingressgateway) matches no
 * pod, the gateway Deployment is usually the platform team's and missing from the input; the message
 * says so (add it or pass it as context) instead of suggesting the selector the Gateway already has.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/gateway/selector-matches-no-workload.js';
import { findingsOf } from './_harness.js';

const input = (selector: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: pay, namespace: payments}
spec:
  selector: {${selector}}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [pay.example.com]
    tls: {mode: SIMPLE, credentialName: pay-cert}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api:1}]}
`;

test('GIVEN a Gateway with the default selector and no gateway Deployment in the input WHEN checked THEN the fix says to add the Deployment or pass it as context, not to set the selector it has', async () => {
  const [f, ...rest] = await findingsOf(input('istio: ingressgateway'), [rule]);
  assert.equal(rest, []);
  assert.match(f!.message, /^Referenced selector not found: "istio=ingressgateway" matches no workload in any namespace; the gateway Deployment \(labelled istio: ingressgateway\) is not in the input: add its manifests, or pass them as context \(`context:` in meshproof\.config\.yaml, or --context <dir>\)/);
  assert.not.match(f!.message, /set spec\.selector/);
});

test('GIVEN a Gateway with another selector matching nothing WHEN checked THEN the fix names both: the selector, or the missing Deployment', async () => {
  const [f] = await findingsOf(input('istio: ingress-gateway'), [rule]);
  assert.match(f!.message, /; set spec\.selector to the labels of the gateway pods \(e\.g\. istio: ingressgateway\), or add the gateway Deployment \(or pass its manifests as context/);
});

test.run();
