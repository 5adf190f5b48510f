import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import { loadRouteTests } from '../../src/verify/expectations/route-tests.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { ROOT } from './_dist.js';
import { PROOF_OPTIONS } from './_proof.js';


async function routeTests(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-rt-'));
  try {
    fs.writeFileSync(path.join(dir, 't1.yaml'), yaml);
    const graph = MeshGraph.from((await loadInputs([path.join(ROOT, 'dist')], { cwd: ROOT })).files);
    return { graph, ...loadRouteTests(path.join(dir, 't1.yaml'), graph, 't1.yaml') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const CASES = `testCases:
  - description: others split 75/25
    wantMatch: true
    request: { authority: [reviews.bookinfo.svc.cluster.local], method: [GET], uri: [/reviews/1] }
    route:
      - destination: { host: reviews, subset: v1 }
        weight: 75
      - destination: { host: reviews, subset: v3 }
        weight: 25
  - description: jason claimed on v3
    wantMatch: true
    request: { authority: [reviews.bookinfo.svc.cluster.local], method: [GET], uri: [/reviews/1], headers: { end-user: jason } }
    route:
      - destination: { host: reviews.bookinfo.svc.cluster.local, subset: v3 }
`;

test('GIVEN a correct 75/25 route test with short hosts WHEN loaded THEN its destinations resolve in the VirtualService namespace and carry the DestinationRule subset labels', async () => {
  const { expectations } = await routeTests(CASES);
  const split = expectations.find((e) => e.promise.startsWith('others split'))!;
  assert.equal(split.outcome, {
    kind: 'split', shares: [
      { destination: { host: 'reviews.bookinfo.svc.cluster.local', subset: 'v1', labels: { version: 'v1' } }, percent: 75 },
      { destination: { host: 'reviews.bookinfo.svc.cluster.local', subset: 'v3', labels: { version: 'v3' } }, percent: 25 },
    ],
  });
  assert.is(split.promise, 'others split 75/25: GET reviews.bookinfo.svc.cluster.local/reviews/1 splits 75 to reviews.bookinfo.svc.cluster.local v1, 25 to reviews.bookinfo.svc.cluster.local v3');
  const jason = expectations.find((e) => e.promise.startsWith('jason'))!;
  assert.match(jason.promise, /GET reviews\.bookinfo\.svc\.cluster\.local\/reviews\/1 with end-user: jason reaches/);
});

test('GIVEN the route tests WHEN sent as traffic (no static gate) THEN the correct split holds and a pin claimed on the wrong version breaks', async () => {
  const { graph, expectations } = await routeTests(CASES);
  const { verdicts } = await createRuntime().run(graph, expectations, () => {}, PROOF_OPTIONS);
  const split = expectations.find((e) => e.promise.startsWith('others split'))!;
  const jason = expectations.find((e) => e.promise.startsWith('jason'))!;
  assert.is(verdicts.get(split.id)?.status, 'held', verdicts.get(split.id)?.detail);
  assert.is(verdicts.get(jason.id)?.status, 'broken', verdicts.get(jason.id)?.detail);
});

test.run();
