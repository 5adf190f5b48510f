import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MeshGraph } from '../../../src/mesh/graph.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { BASE, graphOfYaml } from './_carry.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** BASE with the reviews DestinationRule's outlier detection at `n` consecutive 5xx (same lines: no other object moves). */
const withRule = (n: number): string => {
  const out = BASE.replace('outlierDetection: { consecutive5xxErrors: 3 }', `outlierDetection: { consecutive5xxErrors: ${n} }`);
  assert.ok(n === 3 || out !== BASE, 'the rule edit applies');
  return out;
};

/** Every proxy's view of `graph` (what `xds serve` builds on a reload), returned so the caller can drop it. */
const viewAll = (graph: MeshGraph) => proxiesOf(graph).map((p) => buildProxyView(graph, p));

test('GIVEN a chain of reloads that each edit one DestinationRule (a view base each time) WHEN only the newest graph is kept THEN the first graph\'s DestinationRule object is garbage: no per-service cache shared along the chain holds it', async () => {
  let graph = await graphOfYaml(withRule(3), { carryOver: true });
  viewAll(graph);
  const first = new WeakRef(graph.get('DestinationRule', 'shop', 'reviews')!);
  for (let n = 4; n < 10; n++) {
    const next = await graphOfYaml(withRule(n), { previous: graph });
    assert.ok(next.viewBase(), `reload ${n}: a DestinationRule edit gets a view base`);
    assert.is.not(next.get('DestinationRule', 'shop', 'reviews'), first.deref(), 'the edited rule is a new object');
    viewAll(next);
    graph = next;
  }
  // Let the WeakRefs of this job go (a WeakRef target lives until the job ends), then collect.
  await new Promise((r) => setTimeout(r, 0));
  gc();
  await new Promise((r) => setTimeout(r, 0));
  gc();
  assert.is(first.deref(), undefined, 'the first graph\'s reviews DestinationRule was collected');
  assert.ok(buildProxyView(graph, proxiesOf(graph)[0]!), 'the newest graph still answers');
});

test.run();
