import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GraphOptions } from '../../../src/mesh/graph.js';
import { prepareCarryOver } from '../../../src/xds/translate/carry-over.js';
import { BASE, baseWorkloads, differences, graphOfYaml, packedMesh, reloadOutcomes, RING } from './_carry.js';

/**
 * Position-free reloads (`GraphOptions.positionFree`, as `xds serve` reloads) of edits that only move
 * objects in their file: whatever the reload serves must be byte-equal to a from-scratch translation.
 * Each case also checks that the edit changes the output (else it proves nothing).
 */
async function reloadDiff(before: string, after: string, opts: GraphOptions = {}): Promise<{ diff: string[]; visible: boolean }> {
  const first = await graphOfYaml(before, { carryOver: true });
  const old = packedMesh(first, baseWorkloads());
  prepareCarryOver(first);
  const next = await graphOfYaml(after, { previous: first, positionFree: true, ...opts });
  const carried = packedMesh(next, baseWorkloads());
  const scratch = packedMesh(await graphOfYaml(after), baseWorkloads(), false);
  return { diff: differences(carried, scratch), visible: differences(old, scratch).length > 0 };
}

const doc = (s: string) => s.trim();

const REVIEWS_VS = doc(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews]
  exportTo: ["*"]
  http:
  - route:
    - { destination: { host: reviews, subset: v1 }, weight: 80 }
    - { destination: { host: reviews, subset: v2 }, weight: 20 }
    timeout: 2s`);
const REVIEWS_AGAIN = REVIEWS_VS.replace('timeout: 2s', 'timeout: 7s');

test('GIVEN a VirtualService written twice (one name, two bodies) WHEN the two swap places in their file and the mesh reloads position-free THEN the served config is a from-scratch translation\'s (the first one written is the one used)', async () => {
  assert.ok(BASE.includes(REVIEWS_VS));
  const before = BASE.replace(REVIEWS_VS, `${REVIEWS_VS}\n---\n${REVIEWS_AGAIN}`);
  const after = BASE.replace(REVIEWS_VS, `${REVIEWS_AGAIN}\n---\n${REVIEWS_VS}`);
  const { diff, visible } = await reloadDiff(before, after);
  assert.ok(visible, 'the swap changes the output');
  assert.equal(diff, []);
});


// JSON prints Infinity and NaN as null: a body compared as JSON cannot tell `.inf` from `null`, so
// the edit must not pass for a move (the predecessor's object, with the old value, would stand in).
for (const [from, to] of [['null', '.inf'], ['.inf', 'null'], ['null', '.nan']] as const) {
  test(`GIVEN a ring-hash DestinationRule with minimumRingSize ${from} WHEN it becomes ${to} and the mesh reloads position-free THEN the served translation is a from-scratch one's (the edit is not taken for a move)`, async () => {
    const { old, carried, fresh } = await reloadOutcomes(RING(from), RING(to), { positionFree: true, prepare: prepareCarryOver });
    if (typeof fresh === 'string' || typeof carried === 'string') assert.equal(carried, fresh);
    else assert.equal(differences(carried, fresh), []);
    assert.not.equal(typeof old === 'string' ? old : [...old].join(), typeof fresh === 'string' ? fresh : [...fresh].join(), 'the change is visible (else this case proves nothing)');
  });
}

test.run();
