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

test('GIVEN xds serve with every node\'s snapshot made (as if every node had connected) WHEN a VirtualService\'s weights change and it reloads THEN the views are shared, every node\'s snapshot made on the new graph builds no cluster or load assignment again (carried over from the previous graph), and every served resource is byte-equal to a from-scratch translation', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-serve-carry-'));
  const input = join(work, 'mesh.yaml');
  writeFileSync(input, BASE);
  writeFileSync(join(work, 'workloads.json'), JSON.stringify({ workloads: baseWorkloads() }));
  const logs: string[] = [];
  const h = await startServe({ paths: ['mesh.yaml'], workloads: 'workloads.json', listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
  // Snapshots are made when their node connects (or is asked for): make every node's.
  const makeAll = () => {
    const ids = h.cache.nodeIds();
    for (const id of ids) assert.ok(h.cache.getSnapshot(id), `${id} is served`);
    return ids.length;
  };
  try {
    assert.is(makeAll(), 9, 'four sidecars (as Envoy and proxyless gRPC nodes) and the ingress gateway');
    const changed = BASE.replace('weight: 80 }', 'weight: 30 }').replace('weight: 20 }', 'weight: 70 }');
    assert.not.equal(changed, BASE);
    writeFileSync(input, changed);
    assert.ok(await h.reload(), 'the changed input is published');
    // The log says how the reload was built: one VirtualService edited, named, the views shared.
    assert.match(logs.at(-1)!, /^xds serve: 0 snapshot\(s\) published, 9 deferred until their node connects; reloaded in \d+ ms \(1 changed \(VirtualService shop\/reviews\), \d+ kept; views shared: rebuilt only for the hosts the changes reach\)$/);
    assert.match(logs.find((l) => /deferred/.test(l))!, /\(first load\)$/);
    const before = translationCacheBuilds();
    makeAll();
    const after = translationCacheBuilds();
    assert.equal([after.clusters - before.clusters, after.endpoints - before.endpoints], [0, 0], 'clusters and assignments come from the previous graph');
    // A Service edited too: the views are still shared but for its host.
    const serviceEdited = changed.replace('metadata: { name: reviews, namespace: shop }\nspec:\n  selector', 'metadata: { name: reviews, namespace: shop, labels: { team: a } }\nspec:\n  selector');
    assert.not.equal(serviceEdited, changed);
    writeFileSync(input, serviceEdited);
    assert.ok(await h.reload());
    assert.match(logs.at(-1)!, /^xds serve: 0 snapshot\(s\) published, 9 deferred until their node connects; reloaded in \d+ ms \(1 changed \(Service shop\/reviews\), \d+ kept; views shared: rebuilt only for the hosts the changes reach\)$/, logs.join('\n'));
    makeAll();
    // A PeerAuthentication edited (and the Service label undone): the views still shared but for
    // the hosts of the namespace whose mode changed.
    const policyEdited = changed.replace('mtls: { mode: PERMISSIVE }', 'mtls: { mode: STRICT }');
    assert.not.equal(policyEdited, changed);
    writeFileSync(input, policyEdited);
    assert.ok(await h.reload());
    assert.match(logs.at(-1)!, /^xds serve: 0 snapshot\(s\) published, 9 deferred until their node connects; reloaded in \d+ ms \(2 changed \(PeerAuthentication \S+, Service shop\/reviews\), \d+ kept; views shared: rebuilt only for the hosts the changes reach\)$/, logs.join('\n'));
    makeAll();
    // A Namespace labelled (and the PeerAuthentication undone): the views still shared but for the services of its workloads.
    const namespaced = changed.replace('metadata: { name: front, labels: { istio-injection: enabled } }', 'metadata: { name: front, labels: { istio-injection: enabled, team: a } }');
    assert.not.equal(namespaced, changed);
    writeFileSync(input, namespaced);
    assert.ok(await h.reload());
    assert.match(logs.at(-1)!, /\(2 changed \(Namespace front, \S+ \S+\), \d+ kept; views shared: rebuilt only for the hosts the changes reach\)$/, logs.join('\n'));
    makeAll();
    // The MeshConfig given in the input (its connect timeout): no view base; what did not change is found by content.
    writeFileSync(input, `${changed}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: istio, namespace: istio-system }\ndata:\n  mesh: |\n    connectTimeout: 7s\n`);
    assert.ok(await h.reload());
    assert.match(logs.at(-1)!, /\(\+1 added \(ConfigMap istio-system\/istio\), 1 changed \(Namespace front\), (\d+ objects? moved \(same text, other line or document\), )?\d+ kept; translations carried over by content\)$/, logs.join('\n'));
    writeFileSync(input, changed);
    assert.ok(await h.reload());
    assert.match(logs.at(-1)!, /\(-1 removed \(ConfigMap istio-system\/istio\), (\d+ objects? moved \(same text, other line or document\), )?\d+ kept; translations carried over by content\)$/, logs.join('\n'));
    // A Deployment's labels edited: a view base again (a pod workload changed).
    writeFileSync(input, changed.replace('metadata: { name: reviews-v1, namespace: shop }', 'metadata: { name: reviews-v1, namespace: shop, labels: { team: a } }'));
    assert.ok(await h.reload());
    assert.match(logs.at(-1)!, /\(1 changed \(Deployment shop\/reviews-v1\), \d+ kept; views shared: rebuilt only for the hosts the changes reach\)$/, logs.join('\n'));
    makeAll();
    writeFileSync(input, changed);
    assert.ok(await h.reload());
    assert.match(logs.at(-1)!, /views shared: rebuilt only for the hosts the changes reach\)$/, logs.join('\n'));
    // Two comment lines on top: every object moved, none edited; the log says so. The reload is
    // position-free: the Services, VirtualServices and DestinationRules that only moved are kept.
    writeFileSync(input, `# moved\n# down\n${changed}`);
    assert.ok(await h.reload());
    const moved = logs.at(-1)!.match(/\((\d+) objects moved \(same text, other line or document\), (\d+) kept; views shared: objects only moved\)$/);
    assert.ok(moved, logs.join('\n'));
    assert.ok(Number(moved[1]) > 0 && Number(moved[2]) >= 6, `moved ${moved[1]}, kept ${moved[2]}: the routing and service objects that only moved are kept`);
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
