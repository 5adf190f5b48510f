/**
 * Outlier detection proven with traffic: a failing replica of each customers workload (every answer
 * 503) is ejected by a fresh caller after consecutive5xxErrors failures, and later requests within
 * baseEjectionTime all reach the healthy pods; without outlier detection the replica keeps getting
 * traffic and the promise breaks; where maxEjectionPercent forbids ejecting one host of two, the
 * promise is that traffic does not move, and it is judged that way (both ways), the caller's detector
 * having refused the ejection (without outlier detection the traffic does not move either).
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
const ID = 'customers/customers#outlier-detection';
const PROMISE = EXPECTATIONS.find((e) => e.id === ID)!;

async function proveIn(work: string, e: Expectation = PROMISE) {
  const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
  return (await createRuntime().run(graph, [e], () => {}, PROOF_OPTIONS)).verdicts.get(e.id);
}

/**
 * How a verdict says what the replica answered before the caller acted: 5 × 503, or fewer where
 * tries timed out on a loaded machine (the outlier detector counts those as 504s).
 */
const TRIES = String.raw`(5 tries with 503|[1-4] tr(y|ies) with 503 before the caller's outlier detector acted on it \(a timed-out try counts as a 504\))`;
const re = (source: string) => new RegExp(source);

/** The promise as if the construct had said `maxEjectionPercent: percent`. */
function withMaxEjection(percent: number): Expectation {
  return { ...PROMISE, outcome: { ...PROMISE.outcome, maxEjectionPercent: percent } as Expectation['outcome'] };
}

async function inBrokenCopy<T>(edit: (o: Record<string, any>) => void, run: (work: string) => Promise<T>): Promise<T> {
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'DestinationRule', 'customers', edit);
    return await run(work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

test('GIVEN customers ejecting after 5 consecutive 5xx (up to 100 %) WHEN a replica answers 503 to everything THEN it is ejected and the next requests all reach healthy pods', async () => {
  const v = await proveIn(ROOT);
  assert.is(v?.status, 'held', v?.detail);
  assert.match(v!.detail, re(String.raw`^failing replica customers-v1-failing \(127\.76\.\d+\.\d+\), a host of the caller's cluster outbound\|80\|v1\|customers\.customers\.svc\.cluster\.local \(2 hosts\), answered ${TRIES} \(consecutive5xxErrors 5\); of the next 20 requests within baseEjectionTime 30000 ms, 0 had a try on it \(0\.0 % of 20 .*\): ejected, traffic moved \(the caller's outbound\|80\|v1\|customers\.customers\.svc\.cluster\.local counted [1-9]\d* ejection\(s\) enforced .*\); .*after the ejection its access log names as the last try's upstream (.*, )?\d+× customers-v1 \(127\.77\.\d+\.\d+:3000\)`));
  assert.not.match(v!.detail, /after the ejection .*customers-v1-failing/);
  assert.not.match(v!.detail, /logged no request/);
});

test('GIVEN a copy without outlier detection WHEN the same replica fails THEN it keeps getting requests and the promise breaks', async () => {
  const v = await inBrokenCopy((o) => { delete o.spec.trafficPolicy.outlierDetection; }, (work) => proveIn(work));
  assert.is(v?.status, 'broken', v?.detail);
  assert.match(v!.detail, /of the next 20 requests within baseEjectionTime 30000 ms, ([1-9]\d*) had a try on it .*: not ejected, traffic did not move/);
});

test('GIVEN maxEjectionPercent 10 (one bad host of two is 50 %) WHEN the replica fails THEN traffic does not move, as promised; and a promise of 10 % judged against a config allowing 100 % breaks', async () => {
  const held = await inBrokenCopy((o) => { o.spec.trafficPolicy.outlierDetection.maxEjectionPercent = 10; }, (work) => proveIn(work, withMaxEjection(10)));
  assert.is(held?.status, 'held', held?.detail);
  assert.match(held!.detail, re(String.raw`, a host of the caller's cluster outbound\|80\|v1\|customers\.customers\.svc\.cluster\.local \(2 hosts\), answered ${TRIES} \(consecutive5xxErrors 5\); .*, [1-9]\d* had a try on it: maxEjectionPercent 10 % forbids ejecting 1 of 2 hosts \(50 %\), so traffic must not move, and it did not`));
  const broken = await proveIn(ROOT, withMaxEjection(10));
  assert.is(broken?.status, 'broken', broken?.detail);
  assert.match(broken!.detail, /, 0 had a try on it: maxEjectionPercent 10 % forbids ejecting 1 of 2 hosts \(50 %\), so traffic must not move, and it did/);
});

test('GIVEN a copy without outlier detection WHEN the promise\'s maxEjectionPercent 10 forbids ejecting 1 of 2 hosts THEN the replica keeping its traffic proves nothing (the caller refused no ejection), and the promise breaks', async () => {
  const v = await inBrokenCopy((o) => { delete o.spec.trafficPolicy.outlierDetection; }, (work) => proveIn(work, withMaxEjection(10)));
  assert.is(v?.status, 'broken', v?.detail);
  assert.match(v!.detail, /, [1-9]\d* had a try on it: maxEjectionPercent 10 % forbids ejecting 1 of 2 hosts \(50 %\), so traffic must not move, and it did not, but the caller's outlier detector refused an ejection on no cluster holding it: its outlier detection does not act on 5 consecutive 5xx as promised \(is outlierDetection set, with consecutive5xxErrors 5, on the DestinationRule the caller uses\?\) \(the caller's outbound\|80\|v1\|customers\.customers\.svc\.cluster\.local counted 0 ejection\(s\) enforced \(0 detected by consecutive_5xx\), 0 refused by max_ejection_percent/);
});

test('GIVEN a Cluster that ejects after 2 consecutive 5xx WHEN the promise says 5 THEN the judgement ends at the ejection (the replica answered 2), not after it ran out, and the traffic moved', async () => {
  // The same path as a loaded machine, where timed-out tries count as 504s and the detector acts before
  // the replica has answered the promised number of 503s: sending on would outlast the ejection.
  const v = await inBrokenCopy((o) => { o.spec.trafficPolicy.outlierDetection.consecutive5xxErrors = 2; }, (work) => proveIn(work));
  assert.is(v?.status, 'held', v?.detail);
  assert.match(v!.detail, /answered 2 tries with 503 before the caller's outlier detector acted on it \(a timed-out try counts as a 504\) \(consecutive5xxErrors 5\); of the next 20 requests within baseEjectionTime 30000 ms, 0 had a try on it .*: ejected, traffic moved \(the caller's outbound\|80\|v1\|customers\.customers\.svc\.cluster\.local counted 1 ejection\(s\) enforced \(1 detected by consecutive_5xx\)/);
});

test('GIVEN a Cluster that ejects only after 8 consecutive 5xx WHEN the promise says 5 THEN the replica still gets requests after its fifth 503 and the promise breaks, the detail saying the ejection came late rather than not at all', async () => {
  const v = await inBrokenCopy((o) => { o.spec.trafficPolicy.outlierDetection.consecutive5xxErrors = 8; }, (work) => proveIn(work));
  assert.is(v?.status, 'broken', v?.detail);
  assert.match(v!.detail, /answered 5 tries with 503 \(consecutive5xxErrors 5\); of the next 20 requests within baseEjectionTime 30000 ms, [1-9]\d* had a try on it .*: ejected later than promised \(after more than 5 consecutive 5xx: is the DestinationRule's consecutive5xxErrors higher\?\), so traffic kept reaching it \(the caller's outbound\|80\|v1\|customers\.customers\.svc\.cluster\.local counted 1 ejection\(s\) enforced/);
});

test('GIVEN routes to the whole customers host (no subset: every pod and every failing replica in one cluster) WHEN one replica is ejected THEN only that replica is judged (the cluster\'s statistics cannot say which replica they count), and the promise holds', async () => {
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => {
      for (const h of o.spec.http) {
        delete h.mirror;
        delete h.mirrorPercentage;
        h.route = [{ destination: { host: h.route[0].destination.host } }];
      }
    });
    const v = await proveIn(work);
    assert.is(v?.status, 'held', v?.detail);
    // One replica judged (the first to fail), in the host's cluster of all pods.
    assert.is(v!.detail.match(/failing replica /g)?.length, 1, v!.detail);
    assert.match(v!.detail, /^failing replica customers-v\d-failing \(127\.76\.\d+\.\d+\), a host of the caller's cluster outbound\|80\|\|customers\.customers\.svc\.cluster\.local \(\d+ hosts\), answered 5 tries with 503 \(consecutive5xxErrors 5\); .*, 0 had a try on it .*: ejected, traffic moved/, v!.detail);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN only customers-v1 behind the host and routes sending half to the whole host, half to subset v1 (its replica in two clusters with traffic, each with its own detector) WHEN the replica fails THEN the proof waits for both clusters to eject it, and the promise holds', async () => {
  const work = copyDist();
  try {
    for (const name of ['customers-v2', 'customers-v3']) {
      breakObject(work, 'customers.k8s.yaml', 'Deployment', name, (o) => {
        o.spec.selector.matchLabels.app = 'customers-retired';
        o.spec.template.metadata.labels.app = 'customers-retired';
      });
    }
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => {
      for (const h of o.spec.http) {
        delete h.mirror;
        delete h.mirrorPercentage;
        const host = h.route[0].destination.host;
        h.route = [{ destination: { host }, weight: 50 }, { destination: { host, subset: 'v1' }, weight: 50 }];
      }
    });
    const v = await proveIn(work);
    assert.is(v?.status, 'held', v?.detail);
    assert.match(v!.detail, /^failing replica customers-v1-failing \(127\.76\.\d+\.\d+\), a host of the caller's cluster outbound\|80\|(v1)?\|customers\.customers\.svc\.cluster\.local \(2 hosts\), answered 10 tries with 503 \(consecutive5xxErrors 5, in each of the 2 caller clusters holding it that sent tries, which eject apart\); of the next 20 requests within baseEjectionTime 30000 ms, 0 had a try on it .*: ejected, traffic moved/, v!.detail);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
