/**
 * Bad endpoint input for `xds serve` (#8 item 7): a workload file that turns malformed while serving
 * is not used (the last good config serves, the error names file, entry and field, /status says so);
 * one that is malformed at start exits 2 with that message; workloads that no Service selects, in
 * namespaces the mesh does not know, are ignored and leave every other endpoint as it was.
 */
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { ClusterLoadAssignmentSchema } from '../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { captureIO } from '../cli/_io.js';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'meshproof-serve-bad-'));
for (const f of readdirSync(join(ROOT, 'dist'))) if (f.endsWith('.k8s.yaml')) copyFileSync(join(ROOT, 'dist', f), join(work, f));
const workloads = join(work, 'workloads.json');
const good = readFileSync(join(ROOT, 'test/golden/xds/workloads.json'), 'utf8');
writeFileSync(workloads, good);
const logs: string[] = [];
let h: XdsServeHandle;

test.before(async () => {
  h = await startServe({ paths: [join(work, 'bookinfo.k8s.yaml'), join(work, 'httpbin.k8s.yaml'), join(work, 'customers.k8s.yaml'), join(work, 'platform.k8s.yaml')], workloads, listen: '127.0.0.1:0', cwd: work, watch: false, log: (l) => logs.push(l) });
});
test.after(async () => {
  await h?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Endpoint addresses per cluster in a node's snapshot. */
const endpointsOf = (node: string) => Object.fromEntries([...h.cache.getSnapshot(node)!.types.endpoint.resources].map(([name, any]) => [
  name, anyUnpack(any, ClusterLoadAssignmentSchema)!.endpoints.flatMap((l) => l.lbEndpoints.map((e) => (e.hostIdentifier.case === 'endpoint' && e.hostIdentifier.value.address?.address.case === 'socketAddress' ? e.hostIdentifier.value.address.address.value.address : '?'))),
]));

test('GIVEN a served workload file WHEN it becomes malformed THEN the reload publishes nothing, names file, entry and field, and the last good endpoints keep serving', async () => {
  const before = h.cache.getSnapshot('httpbin/httpbin-v1')!.version;
  assert.equal(endpointsOf('httpbin/httpbin-v1')['outbound|8000||httpbin.httpbin.svc.cluster.local'], ['10.3.0.1']);
  for (const [text, message] of [
    ['{"workloads":[{"name":"x","namespace":"httpbin","address":"10.3.0.9","labels":{"app":7}}]}', /workloads\.json: workloads\[0\]\.labels\.app: is 7; expected a string/],
    ['{"workloads": [', /workloads\.json: not valid JSON/],
    ['{"pods":[]}', /workloads\.json: pods: is not a known key; expected workloads/],
    ['{}', /workloads\.json: workloads: missing or not an array/],
  ] as const) {
    writeFileSync(workloads, text);
    assert.is(await h.reload(), false);
    assert.is(h.publish().outcome, 'unusable');
    assert.match(h.publish().errors.join('\n'), message);
    assert.match(logs.at(-1)!, /workload file unusable, keeping the last good config/);
    assert.is(h.cache.getSnapshot('httpbin/httpbin-v1')!.version, before, 'the last good config serves');
  }
  writeFileSync(workloads, good);
  assert.is(await h.reload(), true);
});

test('GIVEN workloads that no Service selects, in a namespace the mesh does not know THEN they are ignored and every other endpoint stays as it was', async () => {
  const before = endpointsOf('bookinfo/productpage-v1');
  const doc = JSON.parse(good) as { workloads: unknown[] };
  doc.workloads.push(
    { name: 'ghost-0', namespace: 'ghost', address: '10.9.0.1', labels: { app: 'ghost' }, ports: { http: 8080 } },
    { name: 'stray-0', namespace: 'bookinfo', address: '10.9.0.2', labels: { app: 'not-a-service' } },
  );
  writeFileSync(workloads, JSON.stringify(doc));
  assert.is(await h.reload(), true);
  assert.is(h.publish().outcome, 'published');
  assert.equal(endpointsOf('bookinfo/productpage-v1'), before);
  assert.not.ok(JSON.stringify(endpointsOf('bookinfo/productpage-v1')).includes('10.9.0.'), 'no cluster got them');
  writeFileSync(workloads, good);
  await h.reload();
});

test('GIVEN a malformed workload file at start WHEN "meshproof xds serve" runs THEN it exits 2 with the error, naming the workload file (not the manifests), without listening', async () => {
  const bad = join(work, 'bad.json');
  writeFileSync(bad, '{"workloads":[{"name":"a","namespace":"b","address":"not-an-ip"}]}');
  const cap = captureIO(work);
  assert.is(await main(['xds', 'serve', '--input', join(work, 'httpbin.k8s.yaml'), '--workloads', bad, '--listen', '127.0.0.1:0', '--no-check'], cap.io), 2);
  assert.match(cap.stderr(), /bad\.json: workloads\[0\]\.address: "not-an-ip" is not an IP address/);
  assert.match(cap.stderr(), /nothing to serve: the workload file \S*bad\.json is unusable \(see above\); fix it/);
  assert.not.match(cap.stderr(), /the inputs \S+ are unusable/, 'the manifests are fine: only the workload file is named');
  const both = captureIO(work);
  assert.is(await main(['xds', 'serve', '--input', 'x', '--workloads', bad, '--kubeconfig', 'k'], both.io), 2);
  assert.match(both.stderr(), /--workloads <file> or from a cluster/);
});

test.run();
