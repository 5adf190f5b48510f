import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { verifyProject, VerifyInputError } from '../../src/verify/run.js';
import { breakObject, copyDist, ROOT } from './_dist.js';
import { addressesLockedBy, bindOnce, locked } from './_locks.js';
import { SequentialPlan } from '../../src/verify/sequential.js';
import { PROOF_OPTIONS } from './_proof.js';

const EXPECTATIONS = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
const byId = (id: string) => EXPECTATIONS.find((e) => e.id === id)!;

async function graphOf(work: string): Promise<MeshGraph> {
  return MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
}

test('GIVEN the committed bookinfo WHEN its mesh promises are sent through the reference proxy THEN the pin and the 75/25 split hold with real traffic (the versions named by the caller\'s access log where RBAC refuses), and retries refused by RBAC are not run', async () => {
  const ids = ['bookinfo/reviews-routes#jason-on-v2.reaches', 'bookinfo/reviews-routes#v1-v3-split.split', 'bookinfo/ratings-routes#default.retries'];
  // reviews and ratings admit only paths under /reviews/ and /ratings/: the promised GET / is routed (the caller's
  // access log names the version) and then refused by the inbound sidecar, so no backend can count retries.
  const { verdicts, startupMs } = await createRuntime().run(await graphOf(ROOT), ids.map(byId), () => {}, PROOF_OPTIONS);
  for (const id of ids.slice(0, 2)) assert.is(verdicts.get(id)?.status, 'held', `${id}: ${verdicts.get(id)?.detail}`);
  assert.match(verdicts.get(ids[0]!)!.detail, /^20× 403 RBAC: access denied at bookinfo\/reviews-v2$/);
  assert.match(verdicts.get(ids[1]!)!.detail, /v1: \d+\.\d % of \d+ \(expected 75\.0 %; 99\.999 % Wilson/);
  assert.is(verdicts.get(ids[2]!)?.status, 'not-run');
  assert.match(verdicts.get(ids[2]!)!.detail, /inbound sidecar answered GET \/ 403/);
  // Sampled sequentially: at least the plan's first look, at most its last.
  const plan = new SequentialPlan([0.75, 0.25], PROOF_OPTIONS);
  const sent = verdicts.get(ids[1]!)!.requests;
  assert.ok(sent >= plan.schedule[0]! && sent <= plan.maxTrials, `${sent} requests, plan ${plan.schedule.join(',')}`);
  assert.match(verdicts.get(ids[1]!)!.detail, /stopped after \d+ of at most \d+ requests \(look \d+ of 10/);
  assert.ok(startupMs > 0);
});

test('GIVEN a dist/ whose split is swapped WHEN the promise is proven with traffic alone (no static gate) THEN the traffic verdict breaks with the observed share', async () => {
  const work = copyDist();
  try {
    breakObject(work, 'bookinfo.k8s.yaml', 'VirtualService', 'reviews', (o) => {
      const route = o.spec.http[1].route;
      [route[0].weight, route[1].weight] = [route[1].weight, route[0].weight];
    });
    const id = 'bookinfo/reviews-routes#v1-v3-split.split';
    const { verdicts } = await createRuntime().run(await graphOf(work), [byId(id)], () => {}, PROOF_OPTIONS);
    assert.is(verdicts.get(id)?.status, 'broken');
    // 25 % observed in the long run after the swap; a small sequential sample spreads it widely (2 of 22
    // is 9.1 %), so the check is the side of the split, not a band: far below the promised 75 %.
    const m = /v1: (\d+(?:\.\d)?) % of (\d+) \(expected 75\.0 %/.exec(verdicts.get(id)!.detail);
    assert.ok(m, verdicts.get(id)!.detail);
    assert.ok(Number(m![1]) < 60 && Number(m![2]) > 0, verdicts.get(id)!.detail);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a workload address already taken by another process (a second verify run) WHEN verify starts the runtime THEN it skips that address and the promises are proven, and nothing it started is left listening', async () => {
  const blocker = createServer();
  const graph = await graphOf(ROOT);
  const first = graph.workloads.all.find((w) => graph.membershipOf(w).dataplane !== 'gateway' && w.containerPorts.length > 0)!;
  assert.is(graph.membershipOf(first).dataplane, 'sidecar');
  const port = first.containerPorts[0]!.containerPort;
  // The address the runtime would take first: the first 127.77.0.z no other verify run holds (with none running, 127.77.0.1).
  let blocked = '';
  for (let z = 1; z < 255 && blocked === ''; z++) {
    const a = `127.77.0.${z}`;
    if (!locked(a) && await bindOnce(a, port).then(() => true, () => false)) blocked = a;
  }
  const used = new Set<string>();
  try {
    await new Promise<void>((r) => blocker.listen({ host: blocked, port, exclusive: true }, () => r()));
    const id = 'bookinfo/reviews-routes#jason-on-v2.reaches';
    const { verdicts } = await createRuntime().run(graph, [byId(id)], () => { for (const a of addressesLockedBy(process.pid)) used.add(a); }, PROOF_OPTIONS);
    assert.is(verdicts.get(id)?.status, 'held', verdicts.get(id)?.detail);
  } finally {
    blocker.close();
  }
  assert.ok(used.size > 0, 'no address lock seen while the runtime ran');
  assert.not.ok(used.has(blocked), `the runtime took ${blocked}, where another process listens on ${port}`);
  // Every address the runtime used is free again: the ADS server, backends and proxies were stopped.
  assert.equal(addressesLockedBy(process.pid).filter((a) => used.has(a)), [], 'address locks left behind');
  for (const a of used) if (!locked(a)) await bindOnce(a, port);
});

test.run();
