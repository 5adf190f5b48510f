/**
 * A fault delay is proven with traffic: the share of requests answered at least the delay late at
 * the caller, with flag DI in its access log, judged against the fault's percentage with the exact
 * binomial test an abort uses. A promised share or delay the route does not inject breaks.
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
const PINNED = EXPECTATIONS.find((e) => e.id === 'customers/customers-canary#customers-canary-pinned.reaches')!;
const delay = (id: string, delayMs: number, percent: number): Expectation => ({
  ...PINNED, id: `${PINNED.id}.${id}`, promise: `${percent} % delayed at least ${delayMs} ms (DI)`, outcome: { kind: 'delay', delayMs, percent },
});

test('GIVEN the customers routes with a 300 ms fault delay on 50 % of requests WHEN delay promises are proven with traffic THEN 300 ms on 50 % holds with flag DI, and 300 ms on 100 % or 1200 ms on 50 % break', async () => {
  const es = [delay('right', 300, 50), delay('every', 300, 100), delay('longer', 1200, 50)];
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => {
      for (const h of o.spec.http) {
        delete h.retries;
        delete h.timeout;
        h.fault = { delay: { fixedDelay: '0.300s', percentage: { value: 50 } } };
      }
    });
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    const { verdicts } = await createRuntime().run(graph, es, () => {}, PROOF_OPTIONS);
    const right = verdicts.get(es[0]!.id)!;
    assert.is(right.status, 'held', right.detail);
    assert.match(right.detail, /^answered at least 300 ms late with flag DI at the caller: [\d.]+ % of \d+ \(expected 50\.0 %.*; stopped after \d+ of at most \d+ requests .*; delayed ones answered after 3\d\d–\d+ ms, the others after \d+–\d+ ms$/);
    assert.ok(right.requests >= 20, right.detail);
    const every = verdicts.get(es[1]!.id)!;
    assert.is(every.status, 'broken', every.detail);
    assert.match(every.detail, /^answered at least 300 ms late with flag DI at the caller: [\d.]+ % of \d+ \(expected 100\.0 %/);
    const longer = verdicts.get(es[2]!.id)!;
    assert.is(longer.status, 'broken', longer.detail);
    assert.match(longer.detail, /^answered at least 1200 ms late with flag DI at the caller: 0\.0 % of \d+ \(expected 50\.0 %.*; the others after \d+–\d+ ms/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
