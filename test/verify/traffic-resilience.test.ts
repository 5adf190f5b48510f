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
import { PROOF_OPTIONS } from './_proof.js';

const EXPECTATIONS = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
const ID = 'customers/customers#circuit-breaker';

async function proveIn(work: string) {
  const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
  return (await createRuntime().run(graph, [EXPECTATIONS.find((e) => e.id === ID)!], () => {}, PROOF_OPTIONS)).verdicts.get(ID);
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
    assert.match(v!.detail, /^6 requests at once \(limits \{"maxConnections":1,"http1MaxPendingRequests":1,"maxRequestsPerConnection":1\}\) to each cluster of the host: outbound\|80\|\|customers\.customers\.svc\.cluster\.local: [1-5] answered 503 UO \(x-envoy-overloaded\), [1-5] reached a backend, \d+ other; outbound\|80\|v1\|/, v!.detail);
  for (const part of v!.detail.split(': ').slice(1).join(': ').split('; ')) assert.match(part, /^outbound\|80\|(v\d)?\|customers\.customers\.svc\.cluster\.local: [1-5] answered 503 UO \(x-envoy-overloaded\), [1-5] reached a backend, \d+ other$/);
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
    assert.match(v!.detail, /: 0 answered 503 UO \(x-envoy-overloaded\), 6 reached a backend, 0 other(;|$)/);
    assert.not.match(v!.detail, /: [1-9]\d* answered 503 UO/, 'no cluster overflows');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN customers limited to 5 connections and 5 pending requests and its routes splitting 50/50 over v1 and v2 WHEN the burst of 14 is proven THEN each cluster gets all 14 (pinned) and overflows, though through the split neither would; with the limits raised in the DestinationRule THEN it breaks', async () => {
  const base = EXPECTATIONS.find((e) => e.id === ID)!;
  const limits = { maxConnections: 5, http1MaxPendingRequests: 5 };
  const e: Expectation = { ...base, outcome: { ...base.outcome, limits } as Expectation['outcome'] };
  const prove = async (work: string) => (await createRuntime().run(MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files), [e], () => {}, PROOF_OPTIONS)).verdicts.get(ID);
  const split = (o: Record<string, any>) => {
    for (const h of o.spec.http) if (h.route?.length === 2) { h.route[0].weight = 50; h.route[1].weight = 50; }
  };
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', split);
    breakObject(work, 'customers.k8s.yaml', 'DestinationRule', 'customers', (o) => { o.spec.trafficPolicy.connectionPool = { tcp: { maxConnections: 5 }, http: { http1MaxPendingRequests: 5 } }; });
    const held = await prove(work);
    assert.is(held?.status, 'held', held?.detail);
    assert.match(held!.detail, /^14 requests at once \(limits \{"maxConnections":5,"http1MaxPendingRequests":5\}\) to each cluster of the host: /);
    assert.match(held!.detail, /outbound\|80\|v1\|customers\.customers\.svc\.cluster\.local: [1-4] answered 503 UO \(x-envoy-overloaded\), 1\d reached a backend, 0 other; outbound\|80\|v2\|customers\.customers\.svc\.cluster\.local: [1-4] answered 503 UO/, held!.detail);
    breakObject(work, 'customers.k8s.yaml', 'DestinationRule', 'customers', (o) => { o.spec.trafficPolicy.connectionPool = { tcp: { maxConnections: 50 }, http: { http1MaxPendingRequests: 50 } }; });
    const broken = await prove(work);
    assert.is(broken?.status, 'broken', broken?.detail);
    assert.match(broken!.detail, /outbound\|80\|v1\|customers\.customers\.svc\.cluster\.local: 0 answered 503 UO \(x-envoy-overloaded\), 14 reached a backend, 0 other/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

const TIMEOUT = 'customers/customers-canary#customers-canary-split.timeout';

test('GIVEN the customers split with a 3 s timeout WHEN a backend needs 4.5 s THEN the caller answers 504 with flag UT (and URX: per-try timeouts used the retry) from its access log, and without timeout and retries the promise breaks', async () => {
  const e = EXPECTATIONS.find((x) => x.id === TIMEOUT)!;
  const run = async (work: string) => (await createRuntime().run(MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files), [e], () => {}, PROOF_OPTIONS)).verdicts.get(TIMEOUT);
  const held = await run(ROOT);
  assert.is(held?.status, 'held', held?.detail);
  assert.match(held!.detail, /^a backend needing 4500 ms: 504 \(flags ([A-Z]+,)*UT(,[A-Z]+)*\) after \d+ ms \(promised 504 UT at 2000 ms: 2 tries of 1000 ms, before the 3000 ms route timeout\)$/, held!.detail);
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


test('GIVEN the customers split, whose 2 tries of 1 s end a slow request at 2 s WHEN a promise says the 3 s route timeout ends it, or a 500 ms per-try timeout does THEN both break: the request ended sooner, or later, than the timer promised (an early 504 UT is not the route timeout at work)', async () => {
  const e = EXPECTATIONS.find((x) => x.id === TIMEOUT)!;
  const run = async (outcome: Expectation['outcome']) => (await createRuntime().run(MeshGraph.from((await loadInputs([path.join(ROOT, 'dist')], { cwd: ROOT })).files), [{ ...e, outcome }], () => {}, PROOF_OPTIONS)).verdicts.get(TIMEOUT)!;
  const late = await run({ kind: 'timeout', timeoutMs: 3000 });
  assert.is(late.status, 'broken', late.detail);
  assert.match(late.detail, /^a backend needing 4500 ms: 504 \(flags ([A-Z]+,)*UT(,[A-Z]+)*\) after (19|2\d)\d\d ms \(promised 504 UT at 3000 ms: the 3000 ms timeout\); the backends saw 2 tries of it$/, late.detail);
  const early = await run({ kind: 'timeout', timeoutMs: 3000, perTry: { perTryTimeoutMs: 500, tries: 1 } });
  assert.is(early.status, 'broken', early.detail);
  assert.match(early.detail, /\(promised 504 UT at 500 ms: the 500 ms per-try timeout \(no timed-out try retried\), before the 3000 ms route timeout\); the backends saw 2 tries of it$/, early.detail);
});

test('GIVEN a route that writes no retries and a MeshConfig defaultHttpRetryPolicy with a 1 s per-try timeout retried on 5xx WHEN its 3 s timeout is proven THEN the promise holds at 2 s (2 tries), the detail naming the MeshConfig, and a route writing its own retries does not take the mesh default', async () => {
  const ID = 'customers/web-frontend-routes#route0.timeout';
  const e = EXPECTATIONS.find((x) => x.id === ID)!;
  const work = copyDist();
  try {
    fs.writeFileSync(path.join(work, 'dist', 'zz-mesh.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n    defaultHttpRetryPolicy:\n      attempts: 1\n      perTryTimeout: 1s\n      retryOn: 5xx\n');
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'web-frontend', (o) => { o.spec.http[0].timeout = '3s'; });
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    const run = async (outcome: Expectation['outcome']) => (await createRuntime().run(graph, [{ ...e, outcome }], () => {}, PROOF_OPTIONS)).verdicts.get(ID)!;
    const held = await run({ kind: 'timeout', timeoutMs: 3000 });
    assert.is(held.status, 'held', held.detail);
    assert.match(held.detail, /\(promised 504 UT at 2000 ms: 2 tries of 1000 ms \(MeshConfig defaultHttpRetryPolicy: the route writes no retries\), before the 3000 ms route timeout\)$/, held.detail);
    // A promise made from a route that writes retries (routeRetries) keeps the route's own policy: here none ends it first, so 3 s, which this route does not reach.
    const own = await run({ kind: 'timeout', timeoutMs: 3000, routeRetries: true });
    assert.is(own.status, 'broken', own.detail);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

const RETRIES = 'customers/customers-canary#customers-canary-split.retries';

test('GIVEN the customers split retried once with no retryOn (Istio >= 1.24\'s default policy: retriable-status-codes with no code) WHEN proven THEN it is left to the config: nothing an answering backend sends is retried, and the detail says so', async () => {
  const { retryOn: _, ...outcome } = EXPECTATIONS.find((x) => x.id === RETRIES)!.outcome as Extract<Expectation['outcome'], { kind: 'retries' }>;
  const e: Expectation = { ...EXPECTATIONS.find((x) => x.id === RETRIES)!, outcome };
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => { for (const h of o.spec.http) if (h.retries) delete h.retries.retryOn; });
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    const v = (await createRuntime().run(graph, [e], () => {}, PROOF_OPTIONS)).verdicts.get(RETRIES);
    assert.is(v?.status, 'not-run', v?.detail);
    assert.match(v!.detail, /Istio's default: no status code since Istio 1\.24\) has no condition an echo backend can trigger/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN the customers split retried once on retryOn "503" (a bare code: retriable-status-codes [503]) WHEN a backend answers 503 THEN it sees 2 tries and the promise holds', async () => {
  const base = EXPECTATIONS.find((x) => x.id === RETRIES)!;
  const e: Expectation = { ...base, outcome: { ...(base.outcome as Extract<Expectation['outcome'], { kind: 'retries' }>), retryOn: ['503'] } };
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => { for (const h of o.spec.http) if (h.retries) h.retries.retryOn = '503'; });
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    const v = (await createRuntime().run(graph, [e], () => {}, PROOF_OPTIONS)).verdicts.get(RETRIES);
    assert.is(v?.status, 'held', v?.detail);
    assert.match(v!.detail, /^a backend answering 503: it saw 2 tries \(promised 2: 1 \+ 1 retries\); the caller got 503 \(flags [A-Z,]*URX/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
