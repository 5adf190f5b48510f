/**
 * A route with per-try timeouts and no route timeout, proven with traffic: the promise the generator
 * makes for the customers CanaryRelease written without `timeout` (1 retry on 5xx, 1 s per try) is
 * that a slow request ends 504 UT after the two tries, 2 s. Run against the committed dist/ with the
 * customers routes' timeout removed it holds; with their per-try timeout at 500 ms it breaks (the
 * request ends at 1 s).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Chart } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CanaryRelease } from '../../src/constructs/canary-release.js';
import { Duration } from '../../src/constructs/duration.js';
import { MeshService } from '../../src/constructs/mesh-service.js';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import { collectExpectations } from '../../src/verify/expectations/collect.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { breakObject, copyDist } from './_dist.js';
import { PROOF_OPTIONS } from './_proof.js';

/** The generator's timeout promise for the customers split when the CanaryRelease writes no timeout. */
function splitTimeoutPromise() {
  const app = new App();
  const chart = new Chart(app, 'customers', { namespace: 'customers' });
  const customers = new MeshService(chart, 'customers', { name: 'customers', ports: [{ port: 3000, protocol: 'http' }], versions: ['v1', 'v2', 'v3'].map((name) => ({ name, image: `customers:${name}` })) });
  new CanaryRelease(chart, 'customers-canary', {
    service: customers, stable: 'v1', canary: 'v2', canaryWeight: 10, pinCanary: { header: 'x-canary', value: 'always' },
    retries: { attempts: 1, perTryTimeout: Duration.seconds(1), retryOn: ['5xx', 'connect-failure'] },
  });
  const e = collectExpectations(app).find((x) => x.id === 'customers/customers-canary#customers-canary-split.timeout');
  if (!e) throw new Error('no timeout promise for the split');
  return e;
}

test('GIVEN the customers split with 1 retry on 5xx, 1 s per try and no route timeout WHEN proven against a backend needing 3.5 s THEN it ends 504 UT at 2 s and holds; with the per-try timeout at 500 ms in dist/ it ends at 1 s and breaks', async () => {
  const e = splitTimeoutPromise();
  assert.equal(e.outcome, { kind: 'timeout', timeoutMs: 0, perTry: { perTryTimeoutMs: 1000, tries: 2, backoffMaxMs: 25 }, routeRetries: true });
  const run = async (work: string) => (await createRuntime().run(MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files), [e], () => {}, PROOF_OPTIONS)).verdicts.get(e.id)!;
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => { for (const h of o.spec.http) delete h.timeout; });
    const held = await run(work);
    assert.is(held.status, 'held', held.detail);
    assert.match(held.detail, /^a backend needing 3525 ms: 504 \(flags ([A-Z]+,)*UT(,[A-Z]+)*\) after \d+ ms \(promised 504 UT at 2000 ms: 2 tries of 1000 ms \(the route has no timeout\)\)$/, held.detail);
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => { for (const h of o.spec.http) h.retries.perTryTimeout = '500ms'; });
    const broken = await run(work);
    assert.is(broken.status, 'broken', broken.detail);
    assert.match(broken.detail, /^a backend needing 3525 ms: 504 \(flags ([A-Z]+,)*UT(,[A-Z]+)*\) after (9|1[0-4])\d\d ms \(promised 504 UT at 2000 ms.*\); the backends saw 2 tries of it$/, broken.detail);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
