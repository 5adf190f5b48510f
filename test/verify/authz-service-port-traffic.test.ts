/**
 * An authorization promise written with a Service port is proven with traffic where the request
 * really arrives: the container port its Service's targetPort names (kube-proxy forwards Service port
 * 80 to 8080; the inbound sidecar's RBAC sees 8080). Sending to the pod's port 80 would only prove
 * that nothing listens there.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { graphOf } from '../mesh/_graph.js';
import { ns } from '../mesh/view-fixtures.js';
import { PROOF_OPTIONS } from './_proof.js';

const GW = 'cluster.local/ns/istio-system/sa/gw';
const OPS = 'cluster.local/ns/ops/sa/prober';
const web = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'pay' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080, name: 'http' }] }] } } } };
const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-svc', namespace: 'pay' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
const allow = (name: string, principal: string, ports: string[]) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'pay' }, spec: { selector: { matchLabels: { app: 'web' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [principal] } }], to: [{ operation: { ports } }] }] } });
const promise = (id: string, principal: string, port: number): Expectation => ({
  id, promise: `${principal} is admitted on port ${port}`, source: { constructPath: id, file: 'apps/pay.ts', line: 1 },
  outcome: { kind: 'authorization', namespace: 'pay', selector: { app: 'web' }, principal, port, allowed: true },
});

test('GIVEN Service port 80 -> targetPort 8080, one ALLOW policy on 8080 and one on 80 WHEN both "admitted on port 80" promises are sent THEN they go to 8080: the first is let through, the second gets 403 with the Service port, the container port and the fix named', async () => {
  const graph = graphOf([ns('pay'), web, service, allow('allow-gw', GW, ['8080']), allow('allow-ops', OPS, ['80'])]);
  const { verdicts } = await createRuntime().run(graph, [promise('pay/allow-gw', GW, 80), promise('pay/allow-ops', OPS, 80)], () => {}, PROOF_OPTIONS);
  const held = verdicts.get('pay/allow-gw')!;
  assert.is(held.status, 'held', held.detail);
  assert.match(held.detail, `pay/web:8080 (Service port 80) GET /: 200 from pay/web`);
  const broken = verdicts.get('pay/allow-ops')!;
  assert.is(broken.status, 'broken', broken.detail);
  assert.match(broken.detail, `pay/web:8080 (Service port 80) GET / as ${OPS}: 403 "RBAC: access denied"; promised to be let through`);
  assert.match(broken.detail, 'port 80 is a port of Service pay/web-svc; requests to it arrive on container port 8080 (targetPort)');
  assert.match(broken.detail, 'AuthorizationPolicy pay/allow-ops (test.yaml:401) names port 80, which never matches: write "8080" in to.operation.ports');
  assert.not.match(broken.detail, 'allow-gw');
});

test('GIVEN a promised port that is neither a container port nor a Service port WHEN sent THEN broken without a request, naming the ports the workload has', async () => {
  const graph = graphOf([ns('pay'), web, service, allow('allow-gw', GW, ['8080'])]);
  const { verdicts } = await createRuntime().run(graph, [promise('pay/allow-gw', GW, 9999)], () => {}, PROOF_OPTIONS);
  const v = verdicts.get('pay/allow-gw')!;
  assert.is(v.status, 'broken', v.detail);
  assert.is(v.requests, 0);
  assert.match(v.detail, 'Deployment pay/web receives nothing on port 9999: it is neither a container port of it (8080) nor a port of a Service selecting it');
});

test.run();
