/**
 * A route with a fault keeps its retries (istiod sends the retry policy whatever the fault), and the
 * fault filter runs before the router, in Envoy as in our proxy: proven over real sockets through the
 * embedded caller sidecar, the requests a 50 % abort lets through are retried against a failing
 * backend, and the ones it aborts are answered 503 FI at once, never reaching a backend or a retry.
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
const RETRIES = 'customers/customers-canary#customers-canary-pinned.retries';
const TIMEOUT = 'customers/customers-canary#customers-canary-pinned.timeout';

/** The customers routes, each aborting `percent` % of requests with 503 and keeping its timeout (3 s) and retries (1 on 5xx, 1 s per try). */
async function proveWithAbort(percent: number, ids: readonly string[]) {
  const aborted = { status: 503, percent };
  const es = ids.map((id) => {
    const e = EXPECTATIONS.find((x) => x.id === id)!;
    return { ...e, outcome: { ...e.outcome, aborted } as Expectation['outcome'] };
  });
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => {
      for (const h of o.spec.http) h.fault = { abort: { httpStatus: 503, percentage: { value: percent } } };
    });
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    return (await createRuntime().run(graph, es, () => {}, PROOF_OPTIONS)).verdicts;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

test('GIVEN the pinned customers route retried once on 5xx with a 50 % fault abort (503) WHEN its retries are proven with a backend answering 503 THEN a request not aborted reaches it twice (retried) and the aborted ones not at all (503 FI, never retried)', async () => {
  const v = (await proveWithAbort(50, [RETRIES])).get(RETRIES)!;
  assert.is(v.status, 'held', v.detail);
  assert.match(v.detail, /^a backend answering 503: a request not aborted, it saw 2 tries \(promised 2: 1 \+ 1 retries\); the caller got 503 \(flags [A-Z,]*URX[A-Z,]*\); [1-9]\d* of the \d+ requests sent (was|were) aborted 503 \(FI\) by the route's 50 % fault, and the backend saw no try (at all )?of them \(promised 0: /);
});

test('GIVEN the pinned customers route with a 50 % fault abort (503) WHEN its 3 s timeout is proven THEN a request not aborted ends 504 UT in time, and the aborted ones before it are counted apart', async () => {
  const v = (await proveWithAbort(50, [TIMEOUT])).get(TIMEOUT)!;
  assert.is(v.status, 'held', v.detail);
  assert.match(v.detail, /^a backend needing 4500 ms: 504 \(flags ([A-Z]+,)*UT(,[A-Z]+)*\) after \d+ ms \(promised 504 UT at 2000 ms: 2 tries of 1000 ms, before the 3000 ms route timeout\)(; before it \d+ aborted 503 \(FI\) at once, never reaching the router)?$/);
});

test('GIVEN the pinned customers route with a 1.5 s fault delay on every request and a 1 s timeout WHEN the timeout is proven THEN the request waits the whole delay and then the timeout: 504 UT with DI no sooner than 2.5 s (the delay is not cut by the timeout)', async () => {
  const base = EXPECTATIONS.find((x) => x.id === TIMEOUT)!;
  const e: Expectation = { ...base, outcome: { kind: 'timeout', timeoutMs: 1000, delayed: { delayMs: 1500, percent: 100 } } };
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => {
      for (const h of o.spec.http) { delete h.retries; h.timeout = '1s'; h.fault = { delay: { fixedDelay: '1.5s', percentage: { value: 100 } } }; }
    });
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    const v = (await createRuntime().run(graph, [e], () => {}, PROOF_OPTIONS)).verdicts.get(TIMEOUT)!;
    assert.is(v.status, 'held', v.detail);
    const m = /^a backend needing 2500 ms: 504 \(flags (?:[A-Z]+,)*DI(?:,[A-Z]+)*\) after (\d+) ms \(promised 504 UT at 2500 ms: the fault's 1500 ms delay \(DI\), then the 1000 ms timeout\)$/.exec(v.detail);
    assert.ok(m, v.detail);
    assert.ok(Number(m![1]) >= 2500, v.detail);
    assert.match(v.detail, /flags [A-Z,]*UT/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN the pinned customers route with a 100 % fault abort WHEN its retry and timeout promises are proven THEN both are not run: no request reaches the router', async () => {
  const verdicts = await proveWithAbort(100, [RETRIES, TIMEOUT]);
  const r = verdicts.get(RETRIES)!;
  assert.equal([r.status, r.requests], ['not-run', 0], r.detail);
  assert.match(r.detail, /^the route's fault aborts every request \(503, flag FI\) before the router, so none ever reaches the router to be retried/);
  const t = verdicts.get(TIMEOUT)!;
  assert.is(t.status, 'not-run', t.detail);
  assert.match(t.detail, /so none ever reaches the route timeout/);
});

test.run();
