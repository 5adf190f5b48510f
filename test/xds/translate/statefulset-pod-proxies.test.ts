/**
 * A StatefulSet whose pods a policy tells apart (a selector naming `statefulset.kubernetes.io/pod-name`)
 * is one proxy per pod, each with its own labels, as istiod configures each pod's proxy: an
 * AuthorizationPolicy and a PeerAuthentication for pod `db-1` reach db-1's inbound config and not
 * db-0's. Without such a selector the StatefulSet stays one proxy. `xds serve` serves the pod's node
 * by its Istio node id and the StatefulSet's name as its first pod.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../../src/cli/xds-command.js';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { parseManifests } from '../../../src/mesh/parse.js';
import { selectsSomePod } from '../../../src/mesh/workloads.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { nodeCacheKey } from '../../../src/xds/sds/node-identity.js';
import { TYPE_URL } from '../../../src/xds/resources.js';
import { translateProxy, VIRTUAL_INBOUND } from '../../../src/xds/translate/index.js';
import { openAds } from '../_ads-client.js';

const BASE = `apiVersion: v1
kind: Namespace
metadata: {name: data, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec:
  selector: {app: db}
  ports: [{name: tcp-db, port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]
`;

const ONE_POD_POLICIES = `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: db-1-deny, namespace: data}
spec:
  selector: {matchLabels: {statefulset.kubernetes.io/pod-name: db-1}}
  action: DENY
  rules: [{}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: db-1-strict, namespace: data}
spec:
  selector: {matchLabels: {statefulset.kubernetes.io/pod-name: db-1}}
  mtls: {mode: STRICT}
`;

function graphOf(text: string): MeshGraph {
  const parsed = parseManifests(text, 'db.yaml', null);
  assert.equal(parsed.problems.filter((p) => p.unusable), []);
  return MeshGraph.from([parsed.file]);
}

/** The names of the RBAC filters and the transport protocols of virtualInbound's chains on port 5432. */
function inboundOn5432(graph: MeshGraph, name: string): { rbac: boolean; transports: string[] } {
  const proxy = proxiesOf(graph).find((p) => p.name === name)!;
  const set = translateProxy(buildProxyView(graph, proxy), []);
  const listener = set.listeners.find((l) => l.name === VIRTUAL_INBOUND)!;
  const chains = listener.filterChains.filter((c) => c.filterChainMatch?.destinationPort === 5432);
  const text = JSON.stringify(chains.map((c) => c.filters.map((f) => f.name)));
  return { rbac: text.includes('envoy.filters.network.rbac'), transports: chains.map((c) => String(c.filterChainMatch?.transportProtocol ?? '')).sort() };
}

test('GIVEN a StatefulSet no selector tells apart WHEN proxies are listed THEN it is one proxy named after it', () => {
  const proxies = proxiesOf(graphOf(BASE)).map((p) => [p.name, p.aliases]);
  assert.equal(proxies, [['db', undefined]]);
});

test('GIVEN policies selecting pod db-1 by statefulset.kubernetes.io/pod-name WHEN proxies are listed THEN db-1 is a proxy of its own with its per-pod labels, and the StatefulSet\'s proxy stands for the other pod', () => {
  const proxies = proxiesOf(graphOf(BASE + ONE_POD_POLICIES)).map((p) => [p.name, p.workload, p.labels['statefulset.kubernetes.io/pod-name'], p.labels['apps.kubernetes.io/pod-index'], p.labels.app, p.aliases]);
  assert.equal(proxies, [['db', undefined, undefined, undefined, 'db', undefined], ['db-1', 'db', 'db-1', '1', 'db', undefined]]);
});

test('GIVEN selectors naming every pod WHEN proxies are listed THEN each pod is a proxy and the first answers to the StatefulSet\'s name', () => {
  const both = ONE_POD_POLICIES + ONE_POD_POLICIES.replaceAll('db-1', 'db-0');
  assert.equal(proxiesOf(graphOf(BASE + both)).map((p) => [p.name, p.aliases]), [['db-0', ['db']], ['db-1', undefined]]);
});

test('GIVEN a selector by apps.kubernetes.io/pod-index WHEN proxies are listed THEN that pod is split out too; an index or name no pod has (out of range, "01", another StatefulSet\'s) splits nothing', () => {
  const policy = (labels: string) => ONE_POD_POLICIES.split('---').slice(0, 2).join('---').replace('statefulset.kubernetes.io/pod-name: db-1', labels);
  assert.equal(proxiesOf(graphOf(BASE + policy('apps.kubernetes.io/pod-index: "1"'))).map((p) => p.name), ['db', 'db-1']);
  for (const labels of ['apps.kubernetes.io/pod-index: "2"', 'apps.kubernetes.io/pod-index: "01"', 'statefulset.kubernetes.io/pod-name: dbx-1', 'statefulset.kubernetes.io/pod-name: db-']) {
    assert.equal(proxiesOf(graphOf(BASE + policy(labels))).map((p) => p.name), ['db'], labels);
  }
});

test('GIVEN a StatefulSet of 2,147,483,647 replicas and a selector for pod db-5 WHEN proxies are listed and selection is judged THEN nothing is listed pod by pod: two proxies, and the selector binds a pod (name and index must agree on one)', () => {
  const big = BASE.replace('replicas: 2', 'replicas: 2147483647');
  const graph = graphOf(big + ONE_POD_POLICIES.replaceAll('db-1', 'db-5'));
  assert.equal(proxiesOf(graph).map((p) => p.name), ['db', 'db-5']);
  const sts = graph.workloads.all.find((w) => w.kind === 'StatefulSet')!;
  assert.ok(selectsSomePod({ 'statefulset.kubernetes.io/pod-name': 'db-2147483646', app: 'db' }, sts));
  assert.not.ok(selectsSomePod({ 'statefulset.kubernetes.io/pod-name': 'db-2147483647' }, sts), 'beyond the last ordinal');
  assert.not.ok(selectsSomePod({ 'statefulset.kubernetes.io/pod-name': 'db-5', 'apps.kubernetes.io/pod-index': '6' }, sts), 'no pod is both db-5 and index 6');
  assert.ok(selectsSomePod({ 'statefulset.kubernetes.io/pod-name': 'db-5', 'apps.kubernetes.io/pod-index': '5' }, sts));
  assert.not.ok(selectsSomePod({ 'statefulset.kubernetes.io/pod-name': 'db-5', app: 'other' }, sts), 'the template labels still count');
});

test('GIVEN policies selecting pod db-1 WHEN each proxy is translated THEN db-1 gets the DENY (network RBAC) and STRICT mTLS (no plaintext chain), the StatefulSet\'s (db-0) neither', () => {
  const graph = graphOf(BASE + ONE_POD_POLICIES);
  const db1 = inboundOn5432(graph, 'db-1');
  const db0 = inboundOn5432(graph, 'db');
  assert.ok(db1.rbac, 'db-1 enforces the DENY');
  assert.not.ok(db1.transports.includes('raw_buffer'), `db-1 is STRICT: ${db1.transports.join(',')}`);
  assert.not.ok(db0.rbac, 'db-0 has no policy');
  assert.ok(db0.transports.includes('raw_buffer'), `db-0 is PERMISSIVE: ${db0.transports.join(',')}`);
});

test('GIVEN an Istio node id of pod db-1 WHEN keyed THEN its own proxy wins over WORKLOAD_NAME; a Deployment pod still falls back to its workload', () => {
  const known = (k: string) => ['data/db-0', 'data/db-1', 'data/db', 'shop/web'].includes(k);
  const istio = (pod: string, ns: string, workload: string) => ({ id: `sidecar~10.0.0.7~${pod}.${ns}~${ns}.svc.cluster.local`, metadata: { WORKLOAD_NAME: workload } });
  assert.is(nodeCacheKey(istio('db-1', 'data', 'db') as never, known), 'data/db-1');
  assert.is(nodeCacheKey(istio('web-7f9c6d-x2x4z', 'shop', 'web') as never, known), 'shop/web');
});

test('GIVEN xds serve over the split StatefulSet WHEN nodes data/db-1, data/db and an Istio id of db-1 connect THEN each gets a listener snapshot, db-1\'s and the Istio id\'s with the DENY, data/db (the other pod) without', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-sts-pods-'));
  writeFileSync(join(work, 'db.yaml'), BASE + ONE_POD_POLICIES);
  const h = await startServe({ paths: ['db.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: () => {} });
  try {
    const denies = async (node: { id: string; metadata?: Record<string, string> }): Promise<boolean> => {
      const s = openAds(h.port);
      try {
        s.send({ node, typeUrl: TYPE_URL.listener });
        const reply = await s.next();
        const listeners = reply.resources.map((r) => fromBinary(ListenerSchema, r.value));
        assert.ok(listeners.some((l) => l.name === VIRTUAL_INBOUND), `${node.id} gets virtualInbound`);
        return JSON.stringify(listeners.find((l) => l.name === VIRTUAL_INBOUND)!.filterChains.map((c) => c.filters.map((f) => f.name))).includes('envoy.filters.network.rbac');
      } finally {
        s.close();
      }
    };
    assert.ok(await denies({ id: 'data/db-1' }));
    assert.ok(await denies({ id: 'sidecar~10.0.0.7~db-1.data~data.svc.cluster.local', metadata: { WORKLOAD_NAME: 'db' } }));
    assert.not.ok(await denies({ id: 'data/db' }));
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a split StatefulSet whose Service sends to a named targetPort WHEN each pod is translated THEN each pod\'s inbound config has that port (the name resolved through the StatefulSet\'s container ports), as the unsplit proxy has', () => {
  const named = BASE.replace('ports: [{name: tcp-db, port: 5432}]', 'ports: [{name: tcp-db, port: 15432, targetPort: pg}]').replace('ports: [{containerPort: 5432}]', 'ports: [{name: pg, containerPort: 5432}]');
  assert.ok(inboundOn5432(graphOf(named), 'db').transports.length > 0, 'the unsplit proxy listens on 5432');
  const graph = graphOf(named + ONE_POD_POLICIES);
  for (const pod of ['db', 'db-1']) {
    const proxy = proxiesOf(graph).find((p) => p.name === pod)!;
    assert.equal((buildProxyView(graph, proxy).inbound?.problems ?? []).filter((p) => p.code === 'view/inbound-target-port'), [], `${pod}: targetPort pg resolves`);
    assert.ok(inboundOn5432(graph, pod).transports.length > 0, `${pod} listens on 5432`);
  }
  assert.ok(inboundOn5432(graph, 'db-1').rbac, 'db-1 enforces the DENY on it');
});

test('GIVEN a gateway StatefulSet split by a pod-name selector whose Service sends port 80 to the named container port web (8080) WHEN each pod is translated THEN each router listens on 8080, as the unsplit gateway does', () => {
  const gateway = `apiVersion: v1
kind: Service
metadata: {name: edge, namespace: data}
spec:
  selector: {istio: edge}
  ports: [{name: http, port: 80, targetPort: web}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: edge, namespace: data}
spec:
  replicas: 2
  selector: {matchLabels: {istio: edge}}
  template:
    metadata: {labels: {istio: edge}}
    spec: {containers: [{name: istio-proxy, args: [proxy, router], ports: [{name: web, containerPort: 8080}]}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: data}
spec:
  selector: {istio: edge}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
`;
  const split = `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: edge-1-deny, namespace: data}
spec:
  selector: {matchLabels: {statefulset.kubernetes.io/pod-name: edge-1}}
  action: DENY
  rules: [{}]
`;
  const listeners = (graph: MeshGraph, name: string) => translateProxy(buildProxyView(graph, proxiesOf(graph).find((p) => p.name === name)!), []).listeners.map((l) => l.name);
  assert.equal(listeners(graphOf(BASE + '---\n' + gateway), 'edge'), ['0.0.0.0_8080']);
  const graph = graphOf(BASE + '---\n' + gateway + split);
  assert.equal(listeners(graph, 'edge'), ['0.0.0.0_8080']);
  assert.equal(listeners(graph, 'edge-1'), ['0.0.0.0_8080']);
});

test('GIVEN xds serve over the split StatefulSet WHEN the pod-name policies are deleted and it reloads THEN the per-pod nodes are dropped and data/db is the StatefulSet\'s proxy again (no DENY); when they come back, the pods are served again', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-sts-pods-'));
  writeFileSync(join(work, 'db.yaml'), BASE + ONE_POD_POLICIES);
  const h = await startServe({ paths: ['db.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: () => {} });
  try {
    const ids = () => h.cache.nodeIds().filter((id) => !id.startsWith('grpc:')).sort();
    assert.equal(ids(), ['data/db', 'data/db-1']);
    writeFileSync(join(work, 'db.yaml'), BASE);
    assert.ok(await h.reload());
    assert.equal(ids(), ['data/db']);
    writeFileSync(join(work, 'db.yaml'), BASE + ONE_POD_POLICIES);
    assert.ok(await h.reload());
    assert.equal(ids(), ['data/db', 'data/db-1']);
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a StatefulSet with replicas .inf (or 1.5) and a pod-name selector WHEN proxies are listed THEN no RangeError: a replica count the API server refuses counts as the default 1', () => {
  for (const replicas of ['.inf', '1.5']) {
    const graph = graphOf(BASE.replace('replicas: 2', `replicas: ${replicas}`) + ONE_POD_POLICIES.replaceAll('db-1', 'db-0'));
    assert.equal(proxiesOf(graph).map((p) => p.name), ['db-0'], `replicas ${replicas}`);
  }
});

test.run();
