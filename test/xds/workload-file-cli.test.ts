/**
 * What `xds compile` and `xds serve` say of a workload file beyond its syntax: a Service port whose
 * named targetPort the entry does not give (no endpoint, 503 UH), a file too large to read, and
 * (serve) no source of endpoints at all.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_WORKLOAD_FILE_BYTES } from '../../src/cli/workload-file-read.js';
import { NO_ENDPOINTS_NOTE, startServe } from '../../src/cli/xds-serve.js';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';
import { APP } from './_one-service-app.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-workload-file-cli-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** shop/web: port 80 targets the container port named `web` (8080 in the Deployment). */
const NAMED = `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx:1.27, ports: [{ name: web, containerPort: 8080 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { selector: { app: web }, ports: [{ name: http, port: 80, targetPort: web }] }
`;
writeFileSync(join(work, 'named.yaml'), NAMED);
writeFileSync(join(work, 'app.yaml'), APP);

const entry = (name: string, i: number, ports?: Record<string, number>) => ({ name, namespace: 'shop', address: `10.0.0.${i}`, labels: { app: 'web' }, ...(ports ? { ports } : {}) });

test('GIVEN a Service with targetPort "web" and entries whose ports misspell it or give none WHEN xds compile loads them THEN one warning each names the entry, the Service port and the ports to add; the entry giving "web" is not named', async () => {
  writeFileSync(join(work, 'named.json'), JSON.stringify({ workloads: [entry('web-1', 1, { wbe: 8081 }), entry('web-2', 2), entry('web-3', 3, { web: 8080 })] }));
  const io = captureIO(work);
  assert.is(await main(['xds', 'compile', 'named.yaml', '--workloads', 'named.json', '--out', join(work, 'out-named'), '--no-check'], io.io), 0, io.stderr());
  assert.equal(io.stderr().split('\n').filter((l) => l.includes('targets port')), [
    'xds compile: named.json: workloads[0] (shop/web-1 at 10.0.0.1): Service shop/web port http targets port "web", not in its ports {"wbe"} ("wbe" misspelt?), so it gets no endpoint for that port (every request 503 UH); add "ports":{"web":8081}',
    'xds compile: named.json: workloads[1] (shop/web-2 at 10.0.0.2): Service shop/web port http targets port "web", it gives no ports, so it gets no endpoint for that port (every request 503 UH); add "ports":{"web":8080}',
  ]);
});

test('GIVEN a workload file past the size limit (sparse, nothing written) WHEN xds compile is given it THEN it is refused before it is read, with its size, the limit and what to do', async () => {
  writeFileSync(join(work, 'huge.json'), '');
  truncateSync(join(work, 'huge.json'), MAX_WORKLOAD_FILE_BYTES + 1);
  const io = captureIO(work);
  assert.is(await main(['xds', 'compile', 'app.yaml', '--workloads', 'huge.json', '--out', join(work, 'out-huge'), '--no-check'], io.io), 2);
  assert.is(io.stderr().trim(), 'xds compile: huge.json: is 67,108,865 bytes (64.0 MiB), over the workload file limit of 67,108,864 bytes (64.0 MiB, check\'s default --max-input-size; some 400,000 entries), so it is not read; list only the pods of the services this mesh serves');
  writeFileSync(join(work, 'small.json'), JSON.stringify({ workloads: [entry('web-1', 1)] }));
  const ok = captureIO(work);
  assert.is(await main(['xds', 'compile', 'app.yaml', '--workloads', 'small.json', '--out', join(work, 'out-small'), '--no-check'], ok.io), 0, ok.stderr());
});

test('GIVEN xds serve without --workloads or a cluster WHEN it starts THEN it says once that clusters have no endpoints and how to give them; with --workloads it does not', async () => {
  for (const workloads of [undefined, 'small.json']) {
    const logs: string[] = [];
    const h = await startServe({ paths: ['app.yaml'], ...(workloads ? { workloads } : {}), listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
    try {
      await h.reload();
      assert.is(logs.filter((l) => l.includes('no endpoints')).length, workloads ? 0 : 1, logs.join('\n'));
      if (!workloads) assert.ok(logs.includes(NO_ENDPOINTS_NOTE));
    } finally {
      await h.close();
    }
  }
});

test.run();
