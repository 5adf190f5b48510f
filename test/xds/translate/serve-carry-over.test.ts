import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../../../src/cli/xds-command.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { type ResourceKind, type ResourceSet, type XdsResource, packResource, resourceName } from '../../../src/xds/resources.js';
import { translationCacheBuilds } from '../../../src/xds/translate/cache.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { BASE, baseWorkloads, graphOfYaml } from './_carry.js';

const KINDS: [ResourceKind, keyof ResourceSet][] = [['cluster', 'clusters'], ['endpoint', 'endpoints'], ['listener', 'listeners'], ['route', 'routes']];

test('GIVEN xds serve WHEN a VirtualService\'s weights change and it reloads THEN every node\'s served resources are byte-equal to a from-scratch translation, and no cluster or load assignment was built again (carried over from the previous graph)', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-serve-carry-'));
  const input = join(work, 'mesh.yaml');
  writeFileSync(input, BASE);
  writeFileSync(join(work, 'workloads.json'), JSON.stringify({ workloads: baseWorkloads() }));
  const logs: string[] = [];
  const h = await startServe({ paths: ['mesh.yaml'], workloads: 'workloads.json', listen: '127.0.0.1:0', cwd: work, check: false, log: (l) => logs.push(l) });
  try {
    const changed = BASE.replace('weight: 80 }', 'weight: 30 }').replace('weight: 20 }', 'weight: 70 }');
    assert.not.equal(changed, BASE);
    writeFileSync(input, changed);
    const before = translationCacheBuilds();
    assert.ok(await h.reload(), 'the changed input is published');
    const after = translationCacheBuilds();
    assert.equal([after.clusters - before.clusters, after.endpoints - before.endpoints], [0, 0], 'clusters and assignments come from the previous graph');
    // The log says how the reload was built: one VirtualService edited (two versions), the views shared.
    assert.match(logs.at(-1)!, /^xds serve: \d+ snapshot\(s\) published in \d+ ms \(2 object versions changed, \d+ kept; views shared: only VirtualServices and DestinationRules changed\)$/);
    assert.match(logs.find((l) => /published/.test(l))!, /\(first load\)$/);
    // A Deployment edited too: no view base; what did not change is found by content.
    writeFileSync(input, changed.replace('metadata: { name: reviews-v1, namespace: shop }', 'metadata: { name: reviews-v1, namespace: shop, labels: { team: a } }'));
    assert.ok(await h.reload());
    assert.match(logs.at(-1)!, /^xds serve: unchanged: 9 snapshots still served; reloaded in \d+ ms \(2 object versions changed, \d+ kept; translations carried over by content\)$/, logs.join('\n'));
    writeFileSync(input, changed);
    assert.ok(await h.reload());

    // From scratch, as a graph that never met the previous one would be translated; positions match
    // because the served file is read from the same directory under the same name.
    const fresh = await graphOfYaml(changed);
    let compared = 0;
    for (const proxy of proxiesOf(fresh)) {
      for (const proxyless of proxy.type === 'sidecar' ? [false, true] : [false]) {
        const id = `${proxyless ? 'grpc:' : ''}${proxy.namespace}/${proxy.name}`;
        const served = h.cache.getSnapshot(id);
        assert.ok(served, `${id} is served`);
        const scratch = translateProxy(buildProxyView(fresh, proxy), baseWorkloads(), { proxyless, cache: false });
        for (const [kind, key] of KINDS) {
          const expected = ((scratch[key] ?? []) as readonly XdsResource[]).map((r) => `${resourceName(kind, r)} ${Buffer.from(packResource(kind, r).value).toString('hex')}`);
          const got = [...served.types[kind].resources].map(([name, any]) => `${name} ${Buffer.from(any.value).toString('hex')}`);
          assert.equal(got.sort(), expected.sort(), `${id} ${kind}`);
          compared += expected.length;
        }
      }
    }
    assert.ok(compared > 100, `compared ${compared} resources`);
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
