/**
 * The in-cluster endpoint source against a local server posing as the API server: the first list,
 * watch events (add, modify, delete), a watch the server ends (resumed from the last resourceVersion)
 * and a 410 Gone (relisted). Real HTTP, real @kubernetes/client-node informers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KubernetesEndpointSource, loadKubeConfig } from '../../src/xds/endpoints/kubernetes-source.js';
import { workloadsFromKubernetes } from '../../src/xds/endpoints/from-kubernetes.js';
import { type FakeKubeApi, endpointSlice, pod, startFakeKubeApi } from './_kube-api.js';

const SLICES = '/apis/discovery.k8s.io/v1/endpointslices';
const PODS = '/api/v1/pods';
const dir = mkdtempSync(join(tmpdir(), 'meshproof-kube-'));
let api: FakeKubeApi;
let source: KubernetesEndpointSource;
let changes = 0;
const logs: string[] = [];

const until = async (cond: () => boolean, what: () => string, ms = 30_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const addresses = () => source.workloads().map((w) => `${w.namespace}/${w.name}@${w.address} ${Object.entries(w.labels).map(([k, v]) => `${k}=${v}`).join(',')}`);

test.before(async () => {
  api = await startFakeKubeApi([
    { path: SLICES, listKind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', items: [
      endpointSlice('shop', 'reviews-abc12', 'reviews', [{ ip: '10.0.0.1', pod: 'reviews-v1-5d8f-aaaaa' }, { ip: '10.0.0.2', pod: 'reviews-v2-7c9d-bbbbb', ready: false }], { http: 9080 }),
    ] },
    { path: PODS, listKind: 'PodList', apiVersion: 'v1', items: [
      pod('shop', 'reviews-v1-5d8f-aaaaa', '10.0.0.1', { app: 'reviews', version: 'v1' }, { http: 9080 }),
      pod('shop', 'reviews-v2-7c9d-bbbbb', '10.0.0.2', { app: 'reviews', version: 'v2' }, { http: 9080 }),
    ] },
  ]);
  const kubeconfig = join(dir, 'kubeconfig');
  api.writeKubeconfig(kubeconfig);
  source = new KubernetesEndpointSource({ kubeConfig: loadKubeConfig(kubeconfig), onChange: () => changes++, log: (l) => logs.push(l), debounceMs: 20, retryMs: 50 });
  await source.start();
  await until(() => api.watching(SLICES) === 1 && api.watching(PODS) === 1, () => `watches open: ${api.watching(SLICES)}, ${api.watching(PODS)}`);
});
test.after(async () => {
  await source.stop();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

test('GIVEN a listed EndpointSlice and its Pods THEN ready endpoints become workloads with their pod\'s labels and named ports; a not-ready one is left out', () => {
  assert.equal(source.workloads(), [{ name: 'reviews-v1-5d8f-aaaaa', namespace: 'shop', address: '10.0.0.1', labels: { app: 'reviews', version: 'v1' }, ports: { http: 9080 } }]);
  assert.ok(api.requests.includes(`GET ${SLICES}`), api.requests.join('\n'));
  assert.ok(api.requests.includes(`GET ${SLICES}?watch=true&resourceVersion=1000`), `watch starts from the list's resourceVersion:\n${api.requests.join('\n')}`);
});

test('GIVEN the watch WHEN a pod is added, a slice modified, then the slice deleted THEN the workloads follow each event and onChange fires', async () => {
  const before = changes;
  api.emit(PODS, 'ADDED', pod('shop', 'reviews-v3-9f9f-ccccc', '10.0.0.3', { app: 'reviews', version: 'v3' }));
  api.emit(SLICES, 'MODIFIED', endpointSlice('shop', 'reviews-abc12', 'reviews', [
    { ip: '10.0.0.1', pod: 'reviews-v1-5d8f-aaaaa' }, { ip: '10.0.0.2', pod: 'reviews-v2-7c9d-bbbbb' }, { ip: '10.0.0.3', pod: 'reviews-v3-9f9f-ccccc' },
  ], { http: 9080 }));
  await until(() => source.workloads().length === 3, () => addresses().join('; '));
  assert.equal(addresses(), ['shop/reviews-v1-5d8f-aaaaa@10.0.0.1 app=reviews,version=v1', 'shop/reviews-v2-7c9d-bbbbb@10.0.0.2 app=reviews,version=v2', 'shop/reviews-v3-9f9f-ccccc@10.0.0.3 app=reviews,version=v3']);
  await until(() => changes > before, () => 'onChange after the events');

  api.emit(PODS, 'MODIFIED', pod('shop', 'reviews-v3-9f9f-ccccc', '10.0.0.3', { app: 'reviews', version: 'v3-canary' }));
  await until(() => addresses()[2]!.endsWith('version=v3-canary'), () => addresses().join('; '));

  api.emit(SLICES, 'DELETED', endpointSlice('shop', 'reviews-abc12', 'reviews', [], { http: 9080 }));
  await until(() => source.workloads().length === 0, () => addresses().join('; '));
});

test('GIVEN an open watch WHEN the API server ends it THEN the source watches again from the last resourceVersion it saw, without relisting', async () => {
  const listsBefore = api.requests.filter((r) => r === `GET ${SLICES}`).length;
  api.emit(SLICES, 'ADDED', endpointSlice('shop', 'ratings-x1', 'ratings', [{ ip: '10.0.1.1', pod: 'ratings-1' }], { http: 9080 }));
  await until(() => source.workloads().length === 1, () => addresses().join('; '));
  api.endWatches(SLICES);
  await until(() => api.requests.filter((r) => r.startsWith(`GET ${SLICES}?watch=true`)).length >= 2 && api.watching(SLICES) === 1, () => api.requests.join('\n'));
  const rewatch = api.requests.filter((r) => r.startsWith(`GET ${SLICES}?watch=true`)).at(-1)!;
  assert.is(rewatch, `GET ${SLICES}?watch=true&resourceVersion=${api.lastEventVersion(SLICES)}`, 'resumed from the resourceVersion of the last event');
  assert.is(api.requests.filter((r) => r === `GET ${SLICES}`).length, listsBefore, 'no relist');
  api.emit(SLICES, 'ADDED', endpointSlice('shop', 'ratings-x2', 'ratings', [{ ip: '10.0.1.2', pod: 'ratings-2' }], { http: 9080 }));
  await until(() => source.workloads().length === 2, () => addresses().join('; '));
});

test('GIVEN a watch answered 410 Gone THEN the source relists, and an object missing from the new list is deleted', async () => {
  const listsBefore = api.requests.filter((r) => r === `GET ${SLICES}`).length;
  // The list changes while no watch is open (ratings-x1 goes), and the next watch is refused 410.
  api.goneOnNextWatch(SLICES);
  api.setItems(SLICES, [endpointSlice('shop', 'ratings-x2', 'ratings', [{ ip: '10.0.1.2', pod: 'ratings-2' }], { http: 9080 })]);
  api.endWatches(SLICES);
  await until(() => api.requests.filter((r) => r === `GET ${SLICES}`).length > listsBefore && api.watching(SLICES) === 1, () => api.requests.slice(-6).join('\n'));
  await until(() => source.workloads().length === 1, () => addresses().join('; '));
  assert.equal(addresses(), ['shop/ratings-2@10.0.1.2 ']);
  const sliceRequests = api.requests.filter((r) => r.startsWith(`GET ${SLICES}`));
  const lastList = sliceRequests.lastIndexOf(`GET ${SLICES}`);
  assert.ok(sliceRequests[lastList - 1]?.includes('watch=true'), `the refused watch came right before the relist:\n${sliceRequests.join('\n')}`);
  assert.match(sliceRequests[lastList + 1] ?? '', /\?watch=true&resourceVersion=\d+$/, 'and a new watch from the relist\'s resourceVersion follows it');
  assert.ok(logs.length === 0, `a 410 is routine, not an error: ${logs.join('\n')}`);
});

test('GIVEN slices with FQDN addresses, endpoints without a pod, and a pod in two services THEN one instance per pod and address, IPs only', () => {
  const slices = [
    endpointSlice('a', 's1', 'svc1', [{ ip: '10.1.0.1', pod: 'p1' }], { http: 80 }),
    endpointSlice('a', 's2', 'svc2', [{ ip: '10.1.0.1', pod: 'p1' }], { grpc: 90 }),
    { ...endpointSlice('a', 's3', 'ext', [{ ip: 'db.example.com', pod: 'x' }], { tcp: 5432 }), addressType: 'FQDN' },
    { metadata: { name: 'vm', namespace: 'a' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.0.9'], conditions: {} }] },
  ];
  assert.equal(workloadsFromKubernetes(slices, [pod('a', 'p1', '10.1.0.1', { app: 'x' })]).map((w) => [w.name, w.address, w.labels]), [
    ['p1', '10.1.0.1', { app: 'x' }],
    ['vm-10.1.0.9', '10.1.0.9', {}],
  ]);
});

test('GIVEN two hostNetwork Pods on one node (the node\'s IP in two services\' slices) THEN both are workloads at that address, marked hostNetwork, as a workload file would give them', () => {
  const slices = [
    endpointSlice('a', 's1', 'exporter', [{ ip: '192.168.1.10', pod: 'exporter-n1' }], { metrics: 9100 }),
    endpointSlice('a', 's2', 'agent', [{ ip: '192.168.1.10', pod: 'agent-n1' }], { http: 8125 }),
  ];
  const hostNet = (p: Record<string, unknown>) => ({ ...p, spec: { ...(p.spec as object), hostNetwork: true } });
  const list = workloadsFromKubernetes(slices, [hostNet(pod('a', 'exporter-n1', '192.168.1.10', { app: 'exporter' })), hostNet(pod('a', 'agent-n1', '192.168.1.10', { app: 'agent' }))]);
  assert.equal(list.map((w) => [w.name, w.address, w.hostNetwork]), [['agent-n1', '192.168.1.10', true], ['exporter-n1', '192.168.1.10', true]]);
});

test('GIVEN an API server that refuses the list WHEN the source starts THEN start rejects naming the server, the status and what permission is needed', async () => {
  const denied = await startFakeKubeApi([]);
  const kubeconfig = join(dir, 'denied');
  denied.writeKubeconfig(kubeconfig);
  const s = new KubernetesEndpointSource({ kubeConfig: loadKubeConfig(kubeconfig), onChange: () => {}, log: () => {}, retryMs: 50 });
  try {
    await s.start();
    assert.unreachable('start should reject');
  } catch (e) {
    assert.match((e as Error).message, new RegExp(`cannot list EndpointSlices and Pods from https://127.0.0.1:${denied.port}: .*404.*may list and watch endpointslices`));
  } finally {
    await s.stop();
    await denied.close();
  }
});

test.run();
