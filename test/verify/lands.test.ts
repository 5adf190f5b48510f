import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostWorkloadsOf } from '../../src/verify/runtime/host-workloads.js';
import { lands } from '../../src/verify/runtime/judge-shares.js';
import type { Sent } from '../../src/verify/runtime/send.js';
import { graphOf } from '../mesh/_graph.js';

const deployment = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop' },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'x', ports: [{ containerPort: 9080 }] }] } } },
});
const service = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 9080 }] } });
const graph = graphOf([
  service('front'), service('details'),
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'external', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80 }] } },
  deployment('front-v1', { app: 'front', version: 'v1' }),
  deployment('details-v1', { app: 'details', version: 'v1' }),
]);
const answered = (workload: string, version = 'v1'): Sent => ({ status: 200, version, workload, elapsedMs: 1, requestId: 'r' });
const FRONT = { host: 'front.shop.svc.cluster.local', labels: { version: 'v1' } };

test('GIVEN the host\'s Services WHEN another service\'s workload of the same namespace and version answered THEN the request did not land', () => {
  const known = hostWorkloadsOf(graph);
  assert.ok(lands(answered('shop/front-v1'), FRONT, known));
  assert.not.ok(lands(answered('shop/details-v1'), FRONT, known), 'details-v1 is v1 in shop, but front\'s Service does not select it');
  assert.ok(lands(answered('shop/details-v1'), FRONT), 'without the Services only namespace and version can be told apart');
  assert.not.ok(lands(answered('shop/front-v1', 'v2'), FRONT, known), 'the promised version still counts');
  assert.not.ok(lands(answered(''), FRONT, known), 'no backend answered');
});

test('GIVEN a host without a selecting Service WHEN asked THEN the workloads are unknown and namespace and version decide', () => {
  const known = hostWorkloadsOf(graph);
  assert.is(known('external.shop.svc.cluster.local'), undefined);
  assert.is(known('nowhere.example.com'), undefined);
  assert.equal([...known('front.shop.svc.cluster.local')!], ['shop/front-v1']);
  assert.ok(lands(answered('shop/details-v1'), { host: 'external.shop.svc.cluster.local' }, known));
  assert.not.ok(lands(answered('other/details-v1'), { host: 'external.shop.svc.cluster.local' }, known));
});

test.run();
