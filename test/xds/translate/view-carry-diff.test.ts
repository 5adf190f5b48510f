import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MeshGraph } from '../../../src/mesh/graph.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { carryOverStoreOf, prepareCarryOver, releaseCarryOver } from '../../../src/xds/translate/carry-over.js';
import { seeded } from '../../_random.js';
import { differences, packedMesh } from './_carry.js';
import { type MeshState, cloneState, corpora, graphOf } from './_mesh-state.js';
import { MUTATIONS } from './_mutations.js';

/**
 * Differential test of the view carried over when only VirtualServices and DestinationRules change
 * (`MeshGraph.viewBase`, `src/mesh/view/carry.ts`): the graph shares its predecessor's indexes, and
 * the cluster views and routes no changed object reaches. Every corpus with its VirtualServices and
 * DestinationRules in a file of their own (so that editing one moves no other kind's lines), chains
 * of edits of those two kinds only (hosts, matches, destinations, weights, delegates, exportTo,
 * subsets, traffic policies, added, removed, …), each reload compared byte for byte, every proxy,
 * with a from-scratch translation. Seeded: MESHPROOF_CARRY_SEED.
 */
const SEED = Number(process.env.MESHPROOF_CARRY_SEED ?? 20261130);
const CHAINS = Number(process.env.MESHPROOF_VIEW_CARRY_CHAINS ?? 24);
const ROUTE_EDITS = MUTATIONS.filter((m) => m.name.startsWith('VirtualService') || m.name.startsWith('DestinationRule'));

/** VirtualServices and DestinationRules in the second file, everything else in the first. */
function routesApart(s: MeshState): MeshState {
  for (const p of s.placed) p.file = p.doc.kind === 'VirtualService' || p.doc.kind === 'DestinationRule' ? 1 : 0;
  return s;
}

/** Proxies whose view (as JSON) on `carried` differs from the one on `fresh`, with the first difference. */
function viewDifferences(carried: MeshGraph, fresh: MeshGraph): string[] {
  const out: string[] = [];
  const freshViews = new Map(proxiesOf(fresh).map((p) => [`${p.namespace}/${p.name}`, JSON.stringify(buildProxyView(fresh, p))]));
  for (const p of proxiesOf(carried)) {
    const a = JSON.stringify(buildProxyView(carried, p));
    const b = freshViews.get(`${p.namespace}/${p.name}`);
    if (a === b) continue;
    let i = 0;
    while (b !== undefined && i < a.length && a[i] === b[i]) i++;
    out.push(`${p.namespace}/${p.name}: …${a.slice(Math.max(0, i - 80), i + 80)}… vs …${b?.slice(Math.max(0, i - 80), i + 80)}…`);
  }
  return out;
}

/** How many cluster views and host routes of `next`'s proxies are the predecessor's very objects. */
function sharedObjects(previous: MeshGraph, next: MeshGraph): number {
  let shared = 0;
  const before = new Map(proxiesOf(previous).map((p) => [`${p.namespace}/${p.name}`, buildProxyView(previous, p)]));
  for (const p of proxiesOf(next)) {
    const old = before.get(`${p.namespace}/${p.name}`);
    if (!old) continue;
    const view = buildProxyView(next, p);
    const oldClusters = new Set(old.clusters);
    const oldRoutes = new Set(old.routes);
    shared += view.clusters.filter((c) => oldClusters.has(c)).length + view.routes.filter((r) => oldRoutes.has(r)).length;
  }
  return shared;
}

test('GIVEN every corpus and seeded chains of VirtualService and DestinationRule edits WHEN each reloads on its predecessor THEN the view shares the predecessor\'s objects AND every proxy\'s every resource is byte-equal to a from-scratch translation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-carry-'));
  const r = seeded(SEED);
  const bases = corpora().map((c) => routesApart(cloneState(c)));
  let steps = 0;
  let changed = 0;
  let based = 0;
  let shared = 0;
  const tally = new Map(ROUTE_EDITS.map((m) => [m.name, 0]));
  // Round robin over the edits, moving on once one has run (a corpus may have nothing it can edit).
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
        const m = ROUTE_EDITS[next % ROUTE_EDITS.length]!;
        const what = m.apply(candidate, r);
        if (what === null) continue;
        next++;
        routesApart(candidate);
        history.push(`  step ${step}: [${m.name}] ${what}`);
        let reloaded: MeshGraph;
        try {
          reloaded = await graphOf(candidate, join(dir, 'm'), { previous: graph });
        } catch (e) {
          if (e instanceof Error && e.message.startsWith('mesh unusable')) continue;
          throw e;
        }
        if (reloaded.viewBase()) based++;
        shared += sharedObjects(graph, reloaded);
        const carried = packedMesh(reloaded, candidate.workloads);
        const fresh = await graphOf(candidate, join(dir, 'm'));
        const scratch = packedMesh(fresh, candidate.workloads, false);
        const diff = differences(carried, scratch);
        // The views too (problems, subset labels, origins: what no xDS byte shows).
        const views = viewDifferences(reloaded, fresh);
        if (views.length > 0) assert.unreachable(`STALE VIEW (seed ${SEED}) ${history.join('\n')}: ${views.slice(0, 3).join(' | ')}`);
        if (diff.length > 0) assert.unreachable(`STALE CONFIG (seed ${SEED}) ${history.join('\n')}: ${diff.length} resource(s) differ from a from-scratch translation, e.g. ${diff.slice(0, 4).join(' | ')}\nreproduce: MESHPROOF_CARRY_SEED=${SEED} node --import tsx node_modules/uvu/bin.js test view-carry-diff`);
        if (differences(packed, scratch).length > 0) changed++;
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
  console.log(`view-carry-diff: seed ${SEED}, ${CHAINS} chains, ${steps} reloads (${changed} changed the output, ${based} on a view base), ${shared} view objects shared; edits ${JSON.stringify(Object.fromEntries(tally))}`);
  assert.ok(based === steps, `every reload that edits only VirtualServices and DestinationRules gets a view base: ${based}/${steps}`);
  assert.ok(shared > steps * 5, `reloads share view objects with their predecessor (else this compares a from-scratch view with itself): ${shared} in ${steps} reloads`);
  assert.ok(changed > steps / 2, `most reloads change the output (else the test proves little): ${changed}/${steps}`);
  assert.equal([...tally].filter(([, n]) => n === 0).map(([name]) => name), [], 'every VirtualService edit ran at least once');
});

test('GIVEN a reload where a Service moved down one line besides a VirtualService edit WHEN the graph is built on its predecessor THEN it has no view base (the Service changed) and its output still equals a from-scratch translation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-carry-'));
  try {
    const start = routesApart(cloneState(corpora()[0]!));
    const graph = await graphOf(start, join(dir, 'm'), { carryOver: true });
    const candidate = cloneState(start);
    const vs = candidate.placed.find((p) => p.doc.kind === 'VirtualService')!;
    const route = vs.doc.spec.http[0];
    route.timeout = '7s';
    candidate.placed.find((p) => p.doc.kind === 'Service')!.pad += 1;
    const next = await graphOf(candidate, join(dir, 'm'), { previous: graph });
    assert.is(next.viewBase(), undefined);
    const scratch = packedMesh(await graphOf(candidate, join(dir, 'm')), candidate.workloads, false);
    assert.equal(differences(packedMesh(next, candidate.workloads), scratch), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a VirtualService-only reload (translations shared by identity) followed by a DestinationRule and a Service edit WHEN the third graph is built on the second THEN it finds by content, in the second graph\'s carry-over store, every cluster and load assignment the edit did not touch, and its output equals a from-scratch translation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-carry-'));
  try {
    const first = routesApart(cloneState(corpora().at(-1)!));
    const services = first.placed.filter((p) => p.doc.kind === 'Service').length;
    const g1 = await graphOf(first, join(dir, 'm'), { carryOver: true });
    packedMesh(g1, first.workloads);
    prepareCarryOver(g1);
    const second = cloneState(first);
    const vs = second.placed.find((p) => p.doc.kind === 'VirtualService' && p.doc.metadata.name === 'svc1')!;
    vs.doc.spec.http[1].route[0].weight = 60;
    vs.doc.spec.http[1].route[1].weight = 40;
    const g2 = await graphOf(second, join(dir, 'm'), { previous: g1 });
    assert.ok(g2.viewBase(), 'a VirtualService-only reload');
    packedMesh(g2, second.workloads);
    releaseCarryOver(g2);
    prepareCarryOver(g2);
    const third = cloneState(second);
    third.placed.find((p) => p.doc.kind === 'DestinationRule' && p.doc.metadata.name === 'svc3')!.doc.spec.trafficPolicy.outlierDetection.consecutive5xxErrors = 4;
    // And a Service's port name (in place: no other object moves): no view base, so the third graph
    // looks the rest up in the second's store by content.
    third.placed.find((p) => p.doc.kind === 'Service' && p.doc.metadata.name === 'svc5')!.doc.spec.ports[0].name = 'grpc';
    const g3 = await graphOf(third, join(dir, 'm'), { previous: g2 });
    assert.is(g3.viewBase(), undefined, 'a Service changed: no view base');
    const carried = packedMesh(g3, third.workloads);
    const { reused, built } = carryOverStoreOf(g3)!.counts;
    // Three clusters per service (default, v1, v2), as a proxy and proxyless; the edited rule's and the edited Service's are built anew.
    assert.ok(reused.clusters >= 6 * (services - 2), `clusters found in the second graph's store: ${reused.clusters} reused, ${built.clusters} built`);
    assert.ok(reused.endpoints >= 3 * (services - 2), `load assignments found in the second graph's store: ${reused.endpoints} reused, ${built.endpoints} built`);
    const scratch = packedMesh(await graphOf(third, join(dir, 'm')), third.workloads, false);
    assert.equal(differences(carried, scratch), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
