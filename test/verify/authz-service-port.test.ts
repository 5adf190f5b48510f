/**
 * An authorization promise written with a Service port is judged where Envoy's RBAC judges it: on the
 * container port the request arrives on. An AllowPolicy whose `to.ports` names the Service port (80)
 * never matches requests arriving on the container port (8080), so "admitted on port 80" is broken.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { judgeAuthorization } from '../../src/verify/static/policies.js';
import { graphOf } from '../mesh/_graph.js';
import { ns } from '../mesh/view-fixtures.js';

const web = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'pay' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080, name: 'http' }] }] } } } };
const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'pay' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
const allow = (ports: string[]) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-gw', namespace: 'pay' }, spec: { selector: { matchLabels: { app: 'web' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/gw'] } }], to: [{ operation: { ports } }] }] } });
const promise = (port: number): Expectation => ({
  id: 'pay/allow-gw#allow', promise: `gw is admitted on port ${port}`, source: { constructPath: 'pay/allow-gw', file: 'apps/pay.ts', line: 1 },
  outcome: { kind: 'authorization', namespace: 'pay', selector: { app: 'web' }, principal: 'cluster.local/ns/istio-system/sa/gw', port, allowed: true },
});
const judged = (policyPorts: string[], port: number) => {
  const e = promise(port);
  return judgeAuthorization(graphOf([ns('pay'), web, service, allow(policyPorts)]), e, e.outcome as Parameters<typeof judgeAuthorization>[2]);
};

test('GIVEN an ALLOW policy on the Service port (80) WHEN "admitted on port 80" is judged THEN broken: requests arrive on 8080, where the policy does not match', () => {
  const v = judged(['80'], 80);
  assert.is(v.status, 'broken', v.detail);
  assert.match(v.detail, 'refuses (403) cluster.local/ns/istio-system/sa/gw (port 80 is a port of Service pay/web; requests to it arrive on container port 8080 (targetPort)');
  assert.match(v.detail, 'AuthorizationPolicy pay/allow-gw (test.yaml:301) names port 80, which never matches: write "8080" in to.operation.ports');
});

test('GIVEN the policy on the container port (8080) WHEN promised on the Service port or the container port THEN held', () => {
  assert.is(judged(['8080'], 80).status, 'held');
  assert.is(judged(['8080'], 8080).status, 'held');
});

test('GIVEN a port that is neither a container port nor a Service port of the workload WHEN judged THEN broken, naming the ports it has', () => {
  const v = judged(['8080'], 9999);
  assert.is(v.status, 'broken');
  assert.match(v.detail, 'receives nothing on port 9999: it is neither a container port of it (8080) nor a port of a Service selecting it');
});

test.run();
