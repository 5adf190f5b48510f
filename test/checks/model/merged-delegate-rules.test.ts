/**
 * mesh/delegation.ts mergedDelegateRules: the rules istiod puts in place of a root rule that delegates
 * (pilot/pkg/model/virtualservice.go mergeHTTPRoute / mergeHTTPMatchRequests).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { mergedDelegateRules } from '../../../src/mesh/delegation.js';

async function merged(rootMatch: string, delegateHttp: string, delegateExtra = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-merged-delegate-'));
  const file = path.join(dir, 'in.yaml');
  fs.writeFileSync(file, `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: shop}
spec:
  hosts: [shop.example.com]
  http:
  - ${rootMatch ? `match: ${rootMatch}\n    ` : ''}delegate: {name: leaf}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: leaf, namespace: shop}
spec:
${delegateExtra}  http: ${delegateHttp}
`);
  try {
    const { files } = await loadInputs([file]);
    const graph = MeshGraph.from(files);
    const root = graph.get('VirtualService', 'shop', 'root')!;
    return mergedDelegateRules(graph, root, (root.spec.http as Record<string, unknown>[])[0]!);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('GIVEN root /api and delegate rules /api/orders and match-less WHEN merged THEN /api/orders and the root /api, in delegate order', async () => {
  const m = await merged('[{uri: {prefix: /api}}]', '[{match: [{uri: {prefix: /api/orders}}], route: [{destination: {host: a}}]}, {route: [{destination: {host: b}}]}]');
  assert.equal(m?.map((r) => [r.index, r.matches]), [[0, [{ uri: { prefix: '/api/orders' } }]], [1, [{ uri: { prefix: '/api' } }]]]);
});

test('GIVEN a delegate rule outside the root prefix WHEN merged THEN istiod drops it', async () => {
  const m = await merged('[{uri: {prefix: /api}}]', '[{match: [{uri: {prefix: /web}}], route: [{destination: {host: a}}]}]');
  assert.equal(m, []);
});

test('GIVEN root headers and a delegate header WHEN merged THEN both headers, the delegate uri', async () => {
  const m = await merged('[{uri: {prefix: /api}, headers: {x-a: {exact: "1"}}}]', '[{match: [{uri: {exact: /api/x}, headers: {x-b: {exact: "2"}}}], route: [{destination: {host: a}}]}]');
  assert.equal(m?.[0]?.matches, [{ uri: { exact: '/api/x' }, headers: { 'x-a': { exact: '1' }, 'x-b': { exact: '2' } } }]);
});

test('GIVEN a root without match WHEN merged THEN the delegate matches as written', async () => {
  const m = await merged('', '[{match: [{uri: {prefix: /x}}], route: [{destination: {host: a}}]}]');
  assert.equal(m?.[0]?.matches, [{ uri: { prefix: '/x' } }]);
});

test('GIVEN a delegate that declares hosts, or is exported elsewhere WHEN merged THEN nothing (istiod drops the root rule)', async () => {
  assert.equal(await merged('[{uri: {prefix: /api}}]', '[{route: [{destination: {host: a}}]}]', '  hosts: [leaf.example.com]\n'), []);
  assert.equal(await merged('[{uri: {prefix: /api}}]', '[{route: [{destination: {host: a}}]}]', '  exportTo: [billing]\n'), []);
});

test.run();
