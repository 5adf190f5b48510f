import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareCarryOver, releaseCarryOver } from '../../../src/xds/translate/carry-over.js';
import { seeded } from '../../_random.js';
import { differences, findingLines, packedMesh, sharedObjects } from './_carry.js';
import { type MeshState, cloneState, compareReload, corpora, graphOf } from './_mesh-state.js';
import { MID_FILE, MUTATIONS } from './_mutations.js';
import { movedState } from './_view-base.js';

/**
 * Differential test of the view base over reloads that MOVE objects (`graph-carry.ts`): every
 * corpus in one file, as cdk8s writes one file per chart, and seeded chains of edits that insert,
 * delete, grow or reorder documents mid-file, turn documents into List items and insert List items,
 * pad and restyle documents (`_mutations.ts` MID_FILE), mixed with VirtualService and DestinationRule
 * edits. Every document after such an edit moves: its content is unchanged, its document index,
 * lines or List item are not. Each reload is built on its predecessor and must keep the view base
 * (unless a namespace came or went, a WorkloadEntry moved, or the input has duplicate keys), and
 * every proxy's view (origins included), every xDS resource (route and cluster metadata lines
 * included) and every finding (file:line) must equal a from-scratch build's. Seeded:
 * MESHPROOF_CARRY_SEED.
 */
const SEED = Number(process.env.MESHPROOF_CARRY_SEED ?? 20261130) + 8;
const CHAINS = Number(process.env.MESHPROOF_VIEW_MOVED_CHAINS ?? 16);
const ROUTE_EDITS = MUTATIONS.filter((m) => ['VirtualService weights', 'VirtualService destination', 'DestinationRule outlierDetection', 'DestinationRule subset labels'].includes(m.name));

/** Everything in the first file (one chart). */
function oneChart(s: MeshState): MeshState {
  for (const p of s.placed) p.file = 0;
  return s;
}

test('GIVEN every corpus in one file and seeded chains of mid-file inserts, deletes, growths, reorders, List items, paddings and restyles (with VirtualService and DestinationRule edits) WHEN each reloads on its predecessor THEN it keeps the view base with the objects after the edit moved AND every proxy\'s view, every xDS resource and every finding equals a from-scratch build\'s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-moved-'));
  const r = seeded(SEED);
  const edits = [...MID_FILE, ...ROUTE_EDITS, ...MID_FILE];
  // MOVED_BASE every other chain: services without routing objects of their own, routed to from
  // before the edits (only their own positions reach those routes), policies and a Gateway.
  const bases = corpora().flatMap((c) => [movedState(), c]).map((c) => oneChart(cloneState(c)));
  let steps = 0;
  let based = 0;
  let movedObjects = 0;
  let changedOutput = 0;
  let shared = 0;
  const tally = new Map(edits.map((m) => [m.name, 0]));
  let next = 0;
  try {
    for (let chain = 0; chain < CHAINS; chain++) {
      const start = cloneState(bases[chain % bases.length]!);
      let graph = await graphOf(start, join(dir, 'm'), { carryOver: true });
      let packed = packedMesh(graph, start.workloads);
      let state = start;
      const history = [`chain ${chain} on ${start.corpus}`];
      for (let step = 0; step < 3; step++) {
        const candidate = cloneState(state);
        const m = edits[next % edits.length]!;
        next++;
        const what = m.apply(candidate, r);
        if (what === null) continue;
        oneChart(candidate);
        history.push(`  step ${step}: [${m.name}] ${what}`);
        const compared = await compareReload(graph, candidate, join(dir, 'm'), `(seed ${SEED}) ${history.join('\n')}`, `MESHPROOF_CARRY_SEED=${SEED - 8} node --import tsx node_modules/uvu/bin.js test view-moved-chains`);
        if (!compared) continue;
        const { reloaded, fresh, carried, scratch } = compared;
        const explained = fresh.duplicates.length > 0;
        if (reloaded.viewBase()) based++;
        else if (!explained) assert.unreachable(`NO VIEW BASE (seed ${SEED}) ${history.join('\n')}`);
        movedObjects += reloaded.carried!.moved / 2;
        shared += sharedObjects(graph, reloaded);
        assert.equal(findingLines(reloaded), findingLines(fresh), `findings (seed ${SEED}) ${history.join('\n')}`);
        if (differences(packed, scratch).length > 0) changedOutput++;
        tally.set(m.name, tally.get(m.name)! + 1);
        steps++;
        releaseCarryOver(reloaded);
        prepareCarryOver(reloaded);
        graph = reloaded;
        packed = carried;
        state = candidate;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`view-moved-chains: seed ${SEED}, ${CHAINS} chains, ${steps} reloads (${based} on a view base, ${changedOutput} changed the output), ${movedObjects} objects moved, ${shared} view objects shared; edits ${JSON.stringify(Object.fromEntries(tally))}`);
  assert.ok(based > steps * 0.8, `most reloads keep the view base: ${based}/${steps}`);
  assert.ok(movedObjects > steps * 3, `the edits move objects (else this tests nothing new): ${movedObjects} in ${steps} reloads`);
  assert.ok(shared > steps * 5, `reloads share view objects with their predecessor (else this compares a from-scratch view with itself): ${shared} in ${steps} reloads`);
  assert.ok(changedOutput > steps / 2, `most reloads change the output (moved origins' lines, at least): ${changedOutput}/${steps}`);
  assert.equal([...tally].filter(([, n]) => n === 0).map(([name]) => name), [], 'every edit ran at least once');
});

test.run();
