/**
 * A route with a partial fault abort keeps its routing promise for the requests the fault does not
 * abort: the aborted ones (503 with flag FI, no backend) are left out of the destination and the
 * split, and their share is judged against the fault's percentage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { breakObject, copyDist, ROOT } from './_dist.js';
import { PROOF_OPTIONS } from './_proof.js';

const EXPECTATIONS = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
const byId = (id: string) => EXPECTATIONS.find((e) => e.id === id)!;
const PINNED = 'customers/customers-canary#customers-canary-pinned.reaches';
const SPLIT = 'customers/customers-canary#customers-canary-split.split';
const WRONG_SHARE = `${PINNED}.wrong-share`;

test('GIVEN the customers routes with a 40 % fault abort (503) WHEN their routing promises are proven with traffic THEN the requests not aborted reach v2 and split 90/10, the aborts are judged as a 40 % share, and a promised 90 % abort share breaks', async () => {
  const aborted = { status: 503, percent: 40 };
  const pinned = byId(PINNED);
  const es: Expectation[] = [
    { ...pinned, outcome: { ...pinned.outcome, aborted } as Expectation['outcome'] },
    { ...byId(SPLIT), outcome: { ...byId(SPLIT).outcome, aborted } as Expectation['outcome'] },
    { ...pinned, id: WRONG_SHARE, outcome: { ...pinned.outcome, aborted: { status: 503, percent: 90 } } as Expectation['outcome'] },
  ];
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => {
      for (const h of o.spec.http) {
        delete h.retries;
        delete h.timeout;
        h.fault = { abort: { httpStatus: 503, percentage: { value: 40 } } };
      }
    });
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    const { verdicts } = await createRuntime().run(graph, es, () => {}, PROOF_OPTIONS);
    const reaches = verdicts.get(PINNED)!;
    assert.is(reaches.status, 'held', reaches.detail);
    assert.match(reaches.detail, /^(\d+× 200 customers\/customers-v2, \d+× 503 FI \(no backend\)|\d+× 503 FI \(no backend\), \d+× 200 customers\/customers-v2); aborted 503 \(FI\): \d+\.\d % of 34 \(expected 40\.0 %/);
    const split = verdicts.get(SPLIT)!;
    assert.is(split.status, 'held', split.detail);
    assert.match(split.detail, /^v1: [\d.]+ % of \d+ \(expected 90\.0 %.*; v2: [\d.]+ % of \d+ \(expected 10\.0 %.*; aborted 503 \(FI\): [\d.]+ % of \d+ \(expected 40\.0 %.*, left out of the split$/);
    const wrong = verdicts.get(WRONG_SHARE)!;
    assert.is(wrong.status, 'broken', wrong.detail);
    assert.match(wrong.detail, /aborted 503 \(FI\): [\d.]+ % of 200 \(expected 90\.0 %/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
