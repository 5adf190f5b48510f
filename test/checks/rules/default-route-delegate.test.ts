/**
 * routing/default-route-required reads a rule that delegates as the delegate's rules merged under its match
 * (istiod mergeHTTPRoute): a match-less root rule delegating to rules that all have matches leaves no default.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import rule from '../../../src/checks/rules/routing/default-route-required.js';

async function findings(delegateHttp: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-default-delegate-'));
  const file = path.join(dir, 'in.yaml');
  fs.writeFileSync(file, `apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders, namespace: shop}
spec:
  hosts: [orders]
  http:
  - delegate: {name: orders-routes}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders-routes, namespace: shop}
spec:
  http: ${delegateHttp}
`);
  try {
    const { files } = await loadInputs([file]);
    return runRules(MeshGraph.from(files), [rule], {});
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('GIVEN a match-less root rule delegating to rules that all have matches WHEN checked THEN no default route', async () => {
  const found = await findings('[{match: [{uri: {prefix: /orders/v2}}], route: [{destination: {host: orders}}]}]');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('once istiod merges the delegate'), found[0]!.message);
});

test('GIVEN the delegate ends with a match-less rule WHEN checked THEN nothing', async () => {
  assert.equal((await findings('[{match: [{uri: {prefix: /orders/v2}}], route: [{destination: {host: orders}}]}, {route: [{destination: {host: orders}}]}]')).map((f) => f.message), []);
});

test.run();
