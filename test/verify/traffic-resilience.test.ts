/**
 * Circuit breaking proven with traffic: a burst beyond customers' connection-pool limits through a
 * caller sidecar is partly answered 503 with x-envoy-overloaded and flag UO in the caller's access
 * log; with the limits raised in a broken copy, nothing overflows and the promise breaks.
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

const EXPECTATIONS = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
const ID = 'customers/customers#circuit-breaker';

async function proveIn(work: string) {
  const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
  return (await createRuntime().run(graph, [EXPECTATIONS.find((e) => e.id === ID)!], () => {}, { confidence: 0.999, tolerance: 0.2 })).verdicts.get(ID);
}

/**
 * Circuit breaking is the DestinationRule's; the customers routes' 1 s per-try timeout is another promise.
 * Each request of the burst is held 400 ms by the backend, and through two sidecars on a machine 3-5x
 * slower that passes 1 s: the admitted requests were answered 504 UT (and their host ejected), so none
 * "reached a backend". The burst goes through routes without timeout or retries.
 */
function withoutRouteTimeouts(work: string): void {
  breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => { for (const h of o.spec.http) { delete h.timeout; delete h.retries; } });
}

test('GIVEN customers limited to 1 connection and 1 pending request WHEN 6 slow requests go at once THEN some are answered 503 UO by the caller and some reach the backend', async () => {
  const work = copyDist();
  try {
    withoutRouteTimeouts(work);
    const v = await proveIn(work);
    assert.is(v?.status, 'held', v?.detail);
    assert.match(v!.detail, /^6 requests at once \(limits \{"maxConnections":1,"http1MaxPendingRequests":1,"maxRequestsPerConnection":1\}\): [1-5] answered 503 UO \(x-envoy-overloaded\), [1-5] reached a backend/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a copy whose DestinationRule allows 100 connections and pending requests WHEN the same burst goes THEN nothing overflows and the promise breaks', async () => {
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'DestinationRule', 'customers', (o) => {
      o.spec.trafficPolicy.connectionPool = { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 100 } };
    });
    withoutRouteTimeouts(work);
    const v = await proveIn(work);
    assert.is(v?.status, 'broken', v?.detail);
    assert.match(v!.detail, /: 0 answered 503 UO \(x-envoy-overloaded\), 6 reached a backend, 0 other$/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

const TIMEOUT = 'customers/customers-canary#customers-canary-split.timeout';

test('GIVEN the customers split with a 3 s timeout WHEN a backend needs 4.5 s THEN the caller answers 504 with flag UT (and URX: per-try timeouts used the retry) from its access log, and without timeout and retries the promise breaks', async () => {
  const e = EXPECTATIONS.find((x) => x.id === TIMEOUT)!;
  const run = async (work: string) => (await createRuntime().run(MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files), [e], () => {}, { confidence: 0.999, tolerance: 0.2 })).verdicts.get(TIMEOUT);
  const held = await run(ROOT);
  assert.is(held?.status, 'held', held?.detail);
  assert.match(held!.detail, /^a backend needing 4500 ms: 504 \(flags ([A-Z]+,)*UT(,[A-Z]+)*\) after \d+ ms \(promised 504 UT by 3000 ms\)$/, held!.detail);
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => { for (const h of o.spec.http) { delete h.timeout; delete h.retries; } });
    const broken = await run(work);
    assert.is(broken?.status, 'broken', broken?.detail);
    assert.match(broken!.detail, /^a backend needing 4500 ms: (200 \(flags -\)|504 \(flags (?!UT)[A-Z,-]*\)) after/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});


const RETRIES = 'customers/customers-canary#customers-canary-split.retries';

test('GIVEN the customers split retried once with no retryOn (Istio\'s default policy: retriable-status-codes with 503) WHEN a backend answers 503 THEN it sees 2 tries and the promise holds', async () => {
  const { retryOn: _, ...outcome } = EXPECTATIONS.find((x) => x.id === RETRIES)!.outcome as Extract<Expectation['outcome'], { kind: 'retries' }>;
  const e: Expectation = { ...EXPECTATIONS.find((x) => x.id === RETRIES)!, outcome };
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => { for (const h of o.spec.http) if (h.retries) delete h.retries.retryOn; });
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    const v = (await createRuntime().run(graph, [e], () => {}, { confidence: 0.999, tolerance: 0.2 })).verdicts.get(RETRIES);
    assert.is(v?.status, 'held', v?.detail);
    assert.match(v!.detail, /^a backend answering 503: it saw 2 tries \(promised 2: 1 \+ 1 retries\); the caller got 503 \(flags [A-Z,]*URX/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
