import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { namespacesNeeded } from '../../src/verify/external/needed.js';
import { createExternalRuntime } from '../../src/verify/external/runner.js';
import { parseTargets } from '../../src/verify/external/targets.js';
import { ROOT } from './_dist.js';
import { PROOF_OPTIONS } from './_proof.js';

const EXPECTATIONS = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('GIVEN promises of one app WHEN their namespaces are listed THEN only that app\'s namespaces (and its gateway\'s) are needed', () => {
  const httpbin = EXPECTATIONS.filter((e) => e.source.constructPath.startsWith('httpbin/'));
  const needed = namespacesNeeded(httpbin);
  assert.ok(needed.includes('httpbin'), needed.join(','));
  assert.not.ok(needed.includes('bookinfo'), needed.join(','));
  assert.ok(namespacesNeeded(EXPECTATIONS.filter((e) => e.source.constructPath.startsWith('bookinfo/'))).includes('bookinfo'));
});

test('GIVEN targets whose bookinfo caller never gets ready WHEN verify --runtime proves httpbin promises only THEN it does not wait for that caller; proving a bookinfo promise still waits and says which caller is not ready', async () => {
  const graph = MeshGraph.from((await loadInputs([path.join(ROOT, 'dist')], { cwd: ROOT })).files);
  const targets = parseTargets({ version: 1, callers: [{ workload: 'bookinfo/productpage-v1', address: '127.0.0.1', admin: `127.0.0.1:${await closedPort()}` }], waitSeconds: 1 }, 't.json');
  const httpbin = EXPECTATIONS.filter((e) => e.id === 'httpbin/httpbin-gateway/Routes#api.reaches' || e.id === 'httpbin/namespace#mtls-strict');
  assert.is(httpbin.length, 2);
  const { verdicts } = await createExternalRuntime(targets).run(graph, httpbin, () => {}, PROOF_OPTIONS);
  assert.equal([...verdicts.values()].map((v) => v.status), ['not-run', 'not-run']);
  const bookinfo = EXPECTATIONS.filter((e) => e.id === 'bookinfo/reviews-routes#jason-on-v2.reaches');
  const error = await createExternalRuntime(targets).run(graph, bookinfo, () => {}, PROOF_OPTIONS).then(() => undefined, (e: Error) => e);
  assert.match(error?.message ?? '', /not ready within 1 s: caller bookinfo\/productpage-v1/);
});

test.run();
