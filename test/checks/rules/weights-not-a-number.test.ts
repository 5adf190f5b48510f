import { test } from 'uvu';
import * as assert from 'uvu/assert';
import weightsTotal100 from '../../../src/checks/rules/routing/weights-total-100.js';
import { findingsOf } from './_harness.js';

function findings(weight: string) {
  return findingsOf([
    'apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata: {name: r, namespace: shop}',
    'spec:', '  hosts: [reviews]', '  http:', '  - route:',
    '    - destination: {host: reviews, subset: v1}', `      weight: ${weight}`,
    '    - destination: {host: reviews, subset: v2}', '      weight: 10', '',
  ].join('\n'), [weightsTotal100], {}, 'vs.yaml');
}

for (const [weight, shown] of [['.inf', '.inf'], ['-.inf', '-.inf'], ['.nan', '.nan'], ['1e400', '"1e400"'], ['"50"', '"50"']] as const) {
  test(`GIVEN weight: ${weight} WHEN routing/weights-total-100 runs THEN one finding at the weight saying it is not a number, no NaN share`, async () => {
    const found = await findings(weight);
    assert.is(found.length, 1, found.map((f) => f.message).join('\n'));
    const f = found[0]!;
    assert.not.match(f.message, /NaN|Infinity|will send/);
    assert.ok(f.message.includes(`the weight of reviews/v1 is not a number (got ${shown})`), f.message);
    assert.equal(f.fieldPath, ['spec', 'http', 0, 'route', 0, 'weight']);
    assert.is(f.location.line, 9);
  });
}

test('GIVEN finite weights 80/10 WHEN routing/weights-total-100 runs THEN the share computation still runs', async () => {
  const [f] = await findings('80');
  assert.match(f!.message, /add up to 90, not 100; Istio will send reviews\/v1 88\.9 %, reviews\/v2 11\.1 %/);
});

test.run();
