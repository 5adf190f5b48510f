import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MeshGraph } from '../../../src/mesh/graph.js';
import { carryOverStoreOf, prepareCarryOver, releaseCarryOver } from '../../../src/xds/translate/carry-over.js';
import { seeded } from '../../_random.js';
import { differences, outcome, packedMesh, reloadOutcomes, RING } from './_carry.js';
import { type MeshState, cloneState, corpora, graphOf } from './_mesh-state.js';
import { MUTATIONS, type Mutation } from './_mutations.js';

/**
 * Differential test of the carry-over: a graph built on its predecessor (`MeshGraph.from(files,
 * { previous })`, as `xds serve` reloads) must translate, for every proxy, to exactly the bytes a
 * from-scratch translation gives. Seeded (MESHPROOF_CARRY_SEED), fixed number of reload chains
 * (MESHPROOF_CARRY_CHAINS): each chain starts from a corpus, reloads 1-3 times with 1-3 mutations
 * each (the first of every step taken round-robin from the table, so every row runs), and sometimes
 * reverts to its start. Even chains reload position-free (`positionFree`, as `xds serve` does: objects
 * that only moved are the predecessor's), odd ones keep exact positions.
 */
const SEED = Number(process.env.MESHPROOF_CARRY_SEED ?? 20261130);
const CHAINS = Number(process.env.MESHPROOF_CARRY_CHAINS ?? 30);

/** The corpora in turn; the bench mesh (ten times the resources of the others) is chain 14 only. */
function corpusOf(bases: readonly MeshState[], chain: number): MeshState {
  if (chain === 14) return bases[bases.length - 1]!;
  return bases[(chain - (chain > 14 ? 1 : 0)) % (bases.length - 1)]!;
}

interface Tally { applied: number; changed: number }

/** One reload: `state` built on `previous` and from scratch, compared byte for byte; returns whether the output changed. */
async function reload(label: string, state: MeshState, previous: MeshGraph, before: Map<string, string>, dir: string, positionFree: boolean): Promise<{ graph: MeshGraph; packed: Map<string, string>; changed: boolean; reused: number }> {
  const graph = await graphOf(state, dir, { previous, positionFree });
  const carried = outcome(() => packedMesh(graph, state.workloads));
  const fresh = await graphOf(state, dir);
  const scratch = outcome(() => packedMesh(fresh, state.workloads, false));
  // A mesh that cannot be translated (a number Envoy cannot encode) must fail the reload as it fails from scratch.
  if (typeof carried === 'string' || typeof scratch === 'string') {
    if (carried !== scratch) assert.unreachable(`STALE CONFIG (seed ${SEED}) ${label}: the reload gives ${typeof carried === 'string' ? carried : 'a translation'}, from scratch ${typeof scratch === 'string' ? scratch : 'a translation'}`);
    throw new Error(`mesh unusable: ${scratch}`);
  }
  const diff = differences(carried, scratch);
  if (diff.length > 0) assert.unreachable(`STALE CONFIG (seed ${SEED}) ${label}: ${diff.length} resource(s) differ from a from-scratch translation, e.g. ${diff.slice(0, 4).join(' | ')}\nreproduce: MESHPROOF_CARRY_SEED=${SEED} node --import tsx node_modules/uvu/bin.js test carry-over-diff`);
  const { reused } = carryOverStoreOf(graph)!.counts;
  releaseCarryOver(graph);
  prepareCarryOver(graph);
  return { graph, packed: carried, changed: differences(before, scratch).length > 0, reused: reused.clusters + reused.endpoints + reused.virtualHosts };
}

test(`GIVEN every corpus and a seeded table of mutations WHEN each is reloaded on its predecessor (chains, reverts) THEN every proxy's every resource is byte-equal to a from-scratch translation`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-carry-diff-'));
  const r = seeded(SEED);
  const bases = corpora();
  const tally = new Map<string, Tally>(MUTATIONS.map((m) => [m.name, { applied: 0, changed: 0 }]));
  let next = 0;
  let tries = 0;
  let steps = 0;
  let changedSteps = 0;
  let reverts = 0;
  let invalid = 0;
  let reused = 0;
  const started = performance.now();
  const perCorpus = new Map<string, number>();
  try {
    for (let chain = 0; chain < CHAINS; chain++) {
      const start = cloneState(corpusOf(bases, chain));
      let graph = await graphOf(start, join(dir, 'm'), { carryOver: true });
      let packed = packedMesh(graph, start.workloads);
      let state = start;
      const history: string[] = [`chain ${chain} on ${start.corpus}`];
      // The bench mesh costs ten times the others: one reload each time.
      const length = start.corpus === 'bench-20' ? 1 : 2 + Math.floor(r() * 3);
      const chainStarted = performance.now();
      for (let step = 0; step < length; step++) {
        const candidate = cloneState(state);
        const applied: Mutation[] = [];
        const count = 1 + (r() < 0.35 ? 1 + Math.floor(r() * 2) : 0);
        // The round-robin row moves on once it has run (or after 8 tries: it then shows in `never`).
        const first = MUTATIONS[next % MUTATIONS.length]!;
        if (++tries >= 8) { next++; tries = 0; }
        for (let i = 0; i < count; i++) {
          const m = i === 0 ? first : MUTATIONS[Math.floor(r() * MUTATIONS.length)]!;
          const what = m.apply(candidate, r);
          if (what === null) continue;
          applied.push(m);
          history.push(`  step ${step}: [${m.name}] ${what}`);
        }
        if (applied.length === 0) continue;
        let result;
        try {
          result = await reload(history.join('\n'), candidate, graph, packed, join(dir, 'm'), chain % 2 === 0);
        } catch (e) {
          if (!(e instanceof Error) || !e.message.startsWith('mesh unusable')) throw e;
          invalid++;
          history.push(`  step ${step}: input unusable, skipped (${e.message.slice(0, 200)})`);
          continue;
        }
        if (applied[0] === first) { next++; tries = 0; }
        steps++;
        reused += result.reused;
        if (result.changed) changedSteps++;
        else if (process.env.MESHPROOF_CARRY_DEBUG) console.log(`no output change:\n${history.join('\n')}`);
        for (const m of applied) {
          const t = tally.get(m.name)!;
          t.applied++;
          if (result.changed) t.changed++;
        }
        ({ graph, packed } = result);
        state = candidate;
      }
      if (r() < 0.4 && start.corpus !== 'bench-20') {
        history.push('  revert to the chain\'s start');
        reverts++;
        ({ graph, packed } = await reload(history.join('\n'), cloneState(start), graph, packed, join(dir, 'm'), chain % 2 === 0));
      }
      perCorpus.set(start.corpus, (perCorpus.get(start.corpus) ?? 0) + Math.round(performance.now() - chainStarted));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const never = [...tally].filter(([, t]) => t.applied === 0).map(([n]) => n);
  const silent = [...tally].filter(([, t]) => t.applied > 0 && t.changed === 0).map(([n]) => n);
  console.log(`carry-over-diff: seed ${SEED}, ${CHAINS} chains, ${steps} reloads (${changedSteps} changed the output, ${reverts} reverts, ${invalid} unusable inputs skipped, ${reused} entries carried over), ${MUTATIONS.length} mutations, ${Math.round(performance.now() - started)} ms ${JSON.stringify(Object.fromEntries(perCorpus))}${silent.length > 0 ? `; never changed the output: ${silent.join(', ')}` : ''}`);
  assert.ok(reused > steps, `reloads carry entries over (else they compare a from-scratch translation with itself): ${reused} in ${steps} reloads`);
  assert.ok(changedSteps > steps / 2, `most reloads change the output (else the test proves little): ${changedSteps}/${steps}`);
  assert.equal(never, [], 'every mutation of the table ran at least once');
});


// Regression (found by this test's probes): JSON prints Infinity and NaN as null, so a cluster whose
// DestinationRule said `minimumRingSize: null` (ring size 1024) and one saying `.inf` had one
// fingerprint: the reload served the old cluster where a from-scratch translation fails.
for (const [from, to] of [['null', '.inf'], ['null', '.nan']] as const) {
  test(`GIVEN a ring-hash DestinationRule with minimumRingSize ${from} WHEN it becomes ${to} and the mesh reloads on its predecessor THEN the carried translation does what a from-scratch one does (no old cluster served under a fingerprint that JSON made equal)`, async () => {
    const { old, carried, fresh: scratch } = await reloadOutcomes(RING(from), RING(to));
    if (typeof scratch === 'string' || typeof carried === 'string') assert.equal(carried, scratch);
    else assert.equal(differences(carried, scratch), []);
    assert.not.equal(typeof old === 'string' ? old : [...old].join(), typeof scratch === 'string' ? scratch : [...scratch].join(), 'the change is visible (else this case proves nothing)');
  });
}

test.run();
