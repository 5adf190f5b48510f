/**
 * routing/default-route-required per client scope: a client whose Sidecar egress hosts do not import the
 * VirtualService gets no route from it (istiod SelectVirtualServices) and keeps the service's default route, so it
 * is never told it gets 404; the clients that do import it still are.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/default-route-required.js';
import { findingsOf } from './_harness.js';

/** VirtualService billing/ledger, seen only in billing, with one header-matched rule and no default. */
const LEDGER = `apiVersion: v1
kind: Namespace
metadata: {name: billing, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: billing}
spec:
  selector: {app: ledger}
  ports: [{name: http, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ledger, namespace: billing}
spec:
  hosts: [ledger]
  exportTo: ["."]
  http:
  - match:
    - headers: {x-canary: {exact: "1"}}
    route: [{destination: {host: ledger}}]
`;

const DEPLOYMENT = (name: string) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: billing}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: app:1}]}
`;

/** A Sidecar in billing whose egress imports only istio-system (not the ledger VirtualService); `selector` narrows it to one workload. */
const HIDING_SIDECAR = (selector?: string) => `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ${selector ?? 'default'}, namespace: billing}
spec:
${selector ? `  workloadSelector: {labels: {app: ${selector}}}\n` : ''}  egress:
  - hosts: ["istio-system/*"]
`;

test('GIVEN the VirtualService without default route and no Sidecar WHEN checked THEN 404 (NR) is reported (the baseline)', async () => {
  const found = await findingsOf(LEDGER + DEPLOYMENT('batch'), [rule]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, 'No default route');
});

test('GIVEN a namespace Sidecar whose egress hosts import nothing of billing WHEN checked THEN no client gets the VirtualService, they keep the default route, and nothing is reported', async () => {
  assert.equal((await findingsOf(LEDGER + DEPLOYMENT('batch') + HIDING_SIDECAR(), [rule])).map((f) => f.message), []);
});

test('GIVEN a Sidecar that hides the VirtualService from Deployment batch only WHEN checked THEN the others get 404 (NR), and batch is named as keeping the default route because of that Sidecar', async () => {
  const found = await findingsOf(LEDGER + DEPLOYMENT('batch') + DEPLOYMENT('web') + HIDING_SIDECAR('batch'), [rule]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, 'get 404 (NR) for Deployment billing/web and sidecars in namespace billing (Deployment billing/batch: the egress hosts of Sidecar billing/batch do not import this VirtualService, so they keep the service\'s default route)');
});

test('GIVEN a Sidecar whose egress imports ./ledger WHEN checked THEN the VirtualService applies to its clients and 404 (NR) is reported', async () => {
  const importing = HIDING_SIDECAR().replace('["istio-system/*"]', '["./ledger.billing.svc.cluster.local"]');
  const found = await findingsOf(LEDGER + DEPLOYMENT('batch') + importing, [rule]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, 'No default route');
});

test('GIVEN a port-bound egress listener on 8080 that hides the VirtualService next to a portless one that imports it WHEN checked THEN port 8080 is built by the bound listener: nothing is reported', async () => {
  const split = `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: billing}
spec:
  egress:
  - port: {number: 8080, protocol: HTTP, name: http}
    hosts: ["istio-system/*"]
  - hosts: ["./*"]
`;
  assert.equal((await findingsOf(LEDGER + DEPLOYMENT('batch') + split, [rule])).map((f) => f.message), []);
});

test.run();
