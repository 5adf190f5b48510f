/**
 * The destination's inbound sidecar carries istiod's inbound retry policy (MeshConfig
 * `defaultInboundHttpRetryPolicy`, `route.BuildDefaultHTTPInboundRoute`). Under Istio's built-in one
 * (reset-before-request) an application's 503 is not retried there, so a route's retries proof
 * counts 1 + attempts tries; when the mesh's inbound policy retries 5xx, every try the caller makes
 * is retried again at the destination, and the proof counts both instead of calling the route broken.
 * Proven over real sockets: caller sidecar, inbound sidecar, echo backend answering 503.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import { meshContextOrThrow } from '../../src/mesh/mesh-config.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { ROOT } from './_dist.js';
import { PROOF_OPTIONS } from './_proof.js';

const EXPECTATIONS = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
/** customers' pinned route: 1 retry on 5xx. */
const RETRIES = 'customers/customers-canary#customers-canary-pinned.retries';

async function prove(mesh?: string) {
  const context = mesh === undefined ? undefined : meshContextOrThrow({ meshConfig: { text: mesh, file: 'mesh.yaml' } });
  const graph = MeshGraph.from((await loadInputs([path.join(ROOT, 'dist')], { cwd: ROOT })).files, context ? { context } : {});
  return (await createRuntime().run(graph, [EXPECTATIONS.find((x) => x.id === RETRIES)!], () => {}, PROOF_OPTIONS)).verdicts.get(RETRIES)!;
}

test('GIVEN Istio\'s built-in inbound retry policy WHEN the route\'s retries are proven THEN the backend sees 1 + 1 tries: reset-before-request does not retry a 503 at the destination', async () => {
  const v = await prove();
  assert.is(v.status, 'held', v.detail);
  assert.match(v.detail, /^a backend answering 503: it saw 2 tries \(promised 2: 1 \+ 1 retries\);/);
});

test('GIVEN MeshConfig defaultInboundHttpRetryPolicy retrying 5xx once WHEN the route\'s retries are proven THEN each of the 2 tries is retried by the inbound sidecar: the backend sees 4, and the promise holds saying so', async () => {
  const v = await prove('defaultInboundHttpRetryPolicy:\n  attempts: 1\n  retryOn: 5xx\n');
  assert.is(v.status, 'held', v.detail);
  assert.match(v.detail, /^a backend answering 503: it saw 4 tries \(promised 4: 1 \+ 1 retries, each tried 2 times by the destination's inbound sidecar \(MeshConfig defaultInboundHttpRetryPolicy retries a 503 once\)\);/);
});

test.run();
