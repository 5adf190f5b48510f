/**
 * The deferred-snapshot chain of `SnapshotCache`, as `xds serve` uses it, against an eager publisher
 * written out in the test (make every snapshot when published, keep the last one that could be made):
 * failures by a throwing producer and by the consistency check, one error report per failed attempt
 * saying what the node gets instead, and the `mayFail` hint that spares making older snapshots.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NodePublisher, noCounts, type NodeInputs } from '../../src/cli/xds-serve-nodes.js';
import type { MeshGraph } from '../../src/mesh/graph.js';
import type { IssuedCertificate } from '../../src/pki/index.js';
import { MAX_DEFERRED_FALLBACKS, SnapshotCache, type SnapshotFallback } from '../../src/xds/snapshot-cache.js';
import { createSnapshot, type Snapshot } from '../../src/xds/snapshot.js';
import { edsCluster, meshResources, weightedRoute } from './_fixtures.js';

/** A consistent snapshot per weight (distinct versions). */
const good = (w: number): Snapshot => createSnapshot(meshResources('svc:80', { a: [1001], b: [1002] }, [weightedRoute({ a: w, b: 100 - w })]));
/** A snapshot whose CDS names an EDS cluster with no load assignment: fails the consistency check. */
const inconsistent = (): Snapshot => createSnapshot({ ...meshResources('svc:80', { a: [1001] }, [weightedRoute({ a: 100 })]), clusters: [edsCluster('missing')] });

type Step = { kind: 'good'; w: number } | { kind: 'throws' } | { kind: 'inconsistent' };
const produceOf = (s: Step): (() => Snapshot) => {
  if (s.kind === 'good') return () => good(s.w);
  if (s.kind === 'throws') return () => { throw new Error('cannot encode Infinity'); };
  return inconsistent;
};

/** Deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('GIVEN random runs of good, throwing and inconsistent snapshots published lazily to a node without a stream WHEN the node is asked for at random points THEN it gets what an eager publisher kept (the last one that could be made), with at most 1 + MAX_DEFERRED_FALLBACKS held', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = prng(seed);
    const cache = new SnapshotCache();
    let eager: string | undefined;
    const trace: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = rnd();
      const step: Step = r < 0.4 ? { kind: 'good', w: 1 + Math.floor(rnd() * 99) } : r < 0.7 ? { kind: 'throws' } : { kind: 'inconsistent' };
      trace.push(step.kind === 'good' ? String(step.w) : step.kind);
      if (step.kind === 'good') eager = good(step.w).version;
      cache.setSnapshotLazily('n', produceOf(step), () => 'failed');
      assert.ok((cache.info('n')?.fallbacks ?? 0) <= MAX_DEFERRED_FALLBACKS, `seed ${seed}: bounded`);
      if (rnd() < 0.25) {
        trace.push('ask');
        assert.is(cache.getSnapshot('n')?.version, eager, `seed ${seed}: ${trace.join(' ')}`);
      }
    }
    assert.is(cache.getSnapshot('n')?.version, eager, `seed ${seed}: ${trace.join(' ')} ask`);
  }
});

test('GIVEN a failed attempt with older deferred snapshots behind it WHEN the node is asked for THEN the error handler is told once, with what the node gets instead: an older deferred one, its last made one, or nothing', () => {
  const cache = new SnapshotCache();
  const told: SnapshotFallback[] = [];
  const onError = (_e: unknown, f: SnapshotFallback) => { told.push(f); };
  const fail = () => { throw new Error('cannot encode Infinity'); };

  cache.setSnapshotLazily('n', fail, onError);
  assert.is(cache.getSnapshot('n'), undefined);
  assert.equal(told, [{ serves: 'none', olderFailed: 0 }], 'its first config: nothing to keep');

  cache.setSnapshotLazily('n', () => good(10), onError);
  cache.setSnapshotLazily('n', fail, onError);
  told.length = 0;
  assert.is(cache.getSnapshot('n')?.version, good(10).version);
  assert.is(told.length, 1);
  assert.is(told[0]!.serves, 'deferred');
  assert.is(told[0]!.version, good(10).version);
  assert.type(told[0]!.deferredAt, 'string');

  cache.setSnapshotLazily('n', inconsistent, onError);
  cache.setSnapshotLazily('n', fail, onError);
  told.length = 0;
  assert.is(cache.getSnapshot('n')?.version, good(10).version, 'the last made one');
  assert.equal(told, [{ serves: 'made', version: good(10).version, olderFailed: 1 }], 'one report for the two failed snapshots');
});

test('GIVEN a failure recorded for a node WHEN a newer snapshot is deferred THEN info shows it as previousFailure, not failure, until the newer one is made', () => {
  const cache = new SnapshotCache();
  cache.setSnapshot('n', good(10));
  cache.setSnapshotLazily('n', () => { throw new Error('cannot encode Infinity'); }, () => 'cannot translate');
  cache.getSnapshot('n');
  assert.is(cache.info('n')?.failure?.message, 'cannot translate');
  cache.setSnapshotLazily('n', () => good(20), () => 'never');
  const pending = cache.info('n')!;
  assert.is(pending.failure, undefined);
  assert.is(pending.previousFailure?.message, 'cannot translate');
  cache.getSnapshot('n');
  assert.equal(cache.info('n'), { version: good(20).version });
});

test('GIVEN older deferred snapshots that cannot be made either WHEN they are pushed out of the chain THEN they are tried, dropped and not counted as made', () => {
  const cache = new SnapshotCache();
  let tried = 0;
  for (let i = 0; i < 4; i++) cache.setSnapshotLazily('n', () => { tried++; throw new Error('cannot translate'); }, () => {}, { mayFail: () => true });
  assert.is(tried, 2, 'the two pushed out were tried');
  assert.is(cache.fallbacksMade(), 0, 'none made');
});

test('GIVEN newer deferred snapshots that cannot fail (mayFail false) WHEN an older one is pushed out of the chain THEN it is dropped unmade; when they may fail it is made first', () => {
  for (const mayFail of [false, true]) {
    const cache = new SnapshotCache();
    let made = 0;
    for (const w of [10, 20, 30, 40]) cache.setSnapshotLazily('n', () => { made++; return good(w); }, () => {}, { mayFail: () => mayFail });
    assert.is(cache.fallbacksMade(), mayFail ? 2 : 0, `mayFail ${mayFail}`);
    assert.is(made, cache.fallbacksMade());
    assert.is(cache.getSnapshot('n')?.version, good(40).version);
  }
});

test('GIVEN xds serve with the check suite (graphs taken to be makeable) WHEN a connected node\'s snapshot fails on two graphs in a row THEN a never-connected node\'s older snapshot is made before it is pushed out (those graphs may fail), and it gets it; on graphs where nothing failed it is dropped unmade', () => {
  for (const connectedFails of [true, false]) {
    const cache = new SnapshotCache();
    const lines: string[] = [];
    const nodes = new NodePublisher(cache, (l) => lines.push(l), true, true);
    cache.watch('c', () => {});
    const cert = {} as IssuedCertificate;
    const inputsOf = (): NodeInputs => ({ graph: {} as MeshGraph, workloads: [], cert });
    const counts = noCounts();
    const fail = () => { throw new Error('cannot encode Infinity'); };
    const g1 = inputsOf();
    nodes.publish('x', g1, () => good(10), false, counts);
    for (const _ of [2, 3]) {
      const g = inputsOf();
      nodes.publish('c', g, connectedFails ? fail : () => good(50), false, counts);
      nodes.publish('x', g, fail, false, counts);
    }
    assert.is(counts.fallbacksMade, connectedFails ? 1 : 0, `connected node fails: ${connectedFails}`);
    assert.is(cache.getSnapshot('x')?.version, connectedFails ? good(10).version : undefined);
    assert.is(lines.filter((l) => l.startsWith('xds serve: x: ')).length, 1, lines.join('\n'));
  }
});

test.run();
