import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { carryOverStoreOf, prepareCarryOver, releaseCarryOver } from '../../../src/xds/translate/carry-over.js';
import { translateProxy, type WorkloadInstance } from '../../../src/xds/translate/index.js';
import { BASE, baseWorkloads, differences, graphOfYaml, packedMesh } from './_carry.js';

interface Change {
  readonly what: string;
  readonly edit: (yaml: string) => string;
  readonly workloads?: (w: WorkloadInstance[]) => WorkloadInstance[];
  /** false: the change reaches only resources that are never cached (listeners, the catch-all virtual host, route configuration lists). @default true */
  readonly rebuilds?: false;
  /** false: no resource shows the change (objects only moved: Envoy metadata names no line). @default true */
  readonly visible?: false;
}

/** Replaces `from` (which must occur) with `to`: a typo in a test fails loudly instead of testing nothing. */
const swap = (from: string, to: string) => (yaml: string): string => {
  if (!yaml.includes(from)) throw new Error(`test edit: ${JSON.stringify(from)} is not in the mesh`);
  return yaml.replace(from, to);
};

const CHANGES: Change[] = [
  { what: 'a Service port', edit: swap('- { name: http, port: 9080 }', '- { name: http, port: 9081 }') },
  { what: 'a DestinationRule subset', edit: swap('- { name: v2, labels: { version: v2 } }', '- { name: v2, labels: { version: v2, track: stable } }') },
  { what: 'a DestinationRule trafficPolicy', edit: swap('consecutive5xxErrors: 3', 'consecutive5xxErrors: 5') },
  { what: 'a DestinationRule exportTo', edit: swap('  host: reviews\n  exportTo: ["*"]', '  host: reviews\n  exportTo: ["."]') },
  { what: 'a VirtualService route (weights)', edit: (y) => swap('weight: 20 }', 'weight: 50 }')(swap('weight: 80 }', 'weight: 50 }')(y)) },
  { what: 'VirtualService hosts', edit: swap('  hosts: [reviews]', '  hosts: [ratings.front.svc.cluster.local]') },
  { what: 'a VirtualService exportTo', edit: swap('  hosts: [reviews]\n  exportTo: ["*"]', '  hosts: [reviews]\n  exportTo: ["."]') },
  { what: 'VirtualService gateways', edit: swap('  hosts: [reviews]\n  exportTo: ["*"]', '  hosts: [reviews]\n  exportTo: ["*"]\n  gateways: [istio-system/public]') },
  { what: 'a ServiceEntry port', edit: swap('- { number: 80, name: http, protocol: HTTP }', '- { number: 8000, name: http, protocol: HTTP }') },
  { what: 'a ServiceEntry\'s endpoints (resolution and addresses)', edit: swap('  resolution: DNS\n', '  resolution: STATIC\n  endpoints: [{ address: 10.9.9.9 }]\n') },
  { what: 'a Sidecar added', edit: (y) => `${y}---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: { name: default, namespace: front }\nspec:\n  egress:\n  - hosts: ["./*"]\n`, rebuilds: false },
  { what: 'a PeerAuthentication mode', edit: swap('mtls: { mode: PERMISSIVE }', 'mtls: { mode: STRICT }'), rebuilds: false },
  { what: 'an AuthorizationPolicy source', edit: swap('source: { namespaces: [front] }', 'source: { namespaces: [shop] }'), rebuilds: false },
  { what: 'the mesh config (outboundTrafficPolicy)', edit: swap('mode: ALLOW_ANY', 'mode: REGISTRY_ONLY'), rebuilds: false },
  { what: 'only positions (a comment line at the top moves every line)', edit: (y) => `# moved\n${y}`, visible: false, rebuilds: false },
  { what: 'the workloads list (an address)', edit: (y) => y, workloads: (w) => w.map((x) => (x.name === 'reviews-v2' ? { ...x, address: '10.0.0.9' } : x)) },
];

for (const change of CHANGES) {
  test(`GIVEN a graph built with the previous one as its base WHEN ${change.what} changed THEN every proxy's resources are byte-equal to a from-scratch translation, and the unchanged ones are carried over`, async () => {
    const before = await graphOfYaml(BASE, { carryOver: true });
    const w1 = baseWorkloads();
    const old = packedMesh(before, w1);
    const yaml = change.edit(BASE);
    const w2 = change.workloads ? change.workloads(baseWorkloads()) : baseWorkloads();
    const after = await graphOfYaml(yaml, { previous: before });
    const carried = packedMesh(after, w2);
    const scratch = packedMesh(await graphOfYaml(yaml), w2, false);
    assert.equal(differences(carried, scratch), [], 'carried-over resources differ from a from-scratch translation');
    if (change.visible === false) assert.equal(differences(old, scratch), [], 'the output is the same bytes');
    else assert.ok(differences(old, scratch).length > 0, 'the change is visible in the output (else this test proves nothing)');
    const counts = carryOverStoreOf(after)!.counts;
    const reused = counts.reused.clusters + counts.reused.endpoints + counts.reused.virtualHosts;
    const built = counts.built.clusters + counts.built.endpoints + counts.built.virtualHosts;
    // Origins are fingerprinted without lines and columns, as Envoy metadata carries them: what only moved is found by content.
    assert.ok(reused > 0, `something was carried over: ${JSON.stringify(counts)}`);
    if (change.rebuilds === false) assert.equal(built, 0, `nothing cached is rebuilt: ${JSON.stringify(counts)}`);
    else assert.ok(built > 0, `what the change touches was rebuilt: ${JSON.stringify(counts)}`);
  });
}

test('GIVEN an unchanged input WHEN the graph is rebuilt with the previous one as its base THEN every cluster, assignment and virtual host is carried over (nothing built; by identity, the view being shared) and the output is byte-equal', async () => {
  const before = await graphOfYaml(BASE, { carryOver: true });
  packedMesh(before, baseWorkloads());
  const after = await graphOfYaml(BASE, { previous: before });
  const carried = packedMesh(after, baseWorkloads());
  assert.equal(differences(carried, packedMesh(await graphOfYaml(BASE), baseWorkloads(), false)), []);
  const { built, reused } = carryOverStoreOf(after)!.counts;
  assert.equal(built, { clusters: 0, endpoints: 0, virtualHosts: 0 });
  const { kept } = carryOverStoreOf(after)!.counts;
  assert.ok(after.viewBase(), 'nothing changed: the view is shared');
  assert.ok(kept.clusters > 0 && kept.virtualHosts > 0 && reused.endpoints + kept.endpoints > 0, JSON.stringify({ reused, kept }));
});

test('GIVEN a VirtualService weight change WHEN carried over THEN only its host\'s virtual host is rebuilt: clusters and assignments all come from the previous graph', async () => {
  const before = await graphOfYaml(BASE, { carryOver: true });
  packedMesh(before, baseWorkloads());
  const after = await graphOfYaml(swap('weight: 80 }', 'weight: 50 }')(swap('weight: 20 }', 'weight: 50 }')(BASE)), { previous: before });
  packedMesh(after, baseWorkloads());
  const { built, reused } = carryOverStoreOf(after)!.counts;
  assert.equal(built.clusters, 0);
  assert.equal(built.endpoints, 0);
  assert.ok(built.virtualHosts >= 1, JSON.stringify(built));
  const { kept } = carryOverStoreOf(after)!.counts;
  assert.ok(kept.virtualHosts > 0 && kept.clusters > 0 && reused.endpoints + kept.endpoints > 0, JSON.stringify({ reused, kept }));
});

test('GIVEN a first graph (no predecessor) WHEN translated THEN it keys nothing until prepareCarryOver (no fingerprints while it translates), and a successor then finds every entry', async () => {
  const before = await graphOfYaml(BASE, { carryOver: true });
  packedMesh(before, baseWorkloads());
  const store = carryOverStoreOf(before)!;
  assert.ok(store.sizes.pending > 0);
  assert.equal([store.sizes.clusters, store.sizes.endpoints, store.sizes.virtualHosts], [0, 0, 0]);
  prepareCarryOver(before);
  assert.equal(store.sizes.pending, 0);
  assert.ok(store.sizes.clusters > 0 && store.sizes.endpoints > 0 && store.sizes.virtualHosts > 0, JSON.stringify(store.sizes));
  const after = await graphOfYaml(BASE, { previous: before });
  packedMesh(after, baseWorkloads());
  assert.equal(carryOverStoreOf(after)!.counts.built, { clusters: 0, endpoints: 0, virtualHosts: 0 });
});

test('GIVEN graphs built without carry-over WHEN translated THEN no store is kept (other callers pay nothing)', async () => {
  const g = await graphOfYaml(BASE);
  packedMesh(g, baseWorkloads());
  assert.equal(carryOverStoreOf(g), undefined);
});

test('GIVEN a successor graph that no longer uses a cluster (only a Service\'s port changed: it shares its predecessor\'s view but for that host) WHEN the carry-over is released THEN the predecessor\'s unused entries are garbage (no view object the graphs share holds the released store) while the reused ones stay with the successor', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const collect = async (refs: WeakRef<object>[]): Promise<void> => {
    for (let i = 0; i < 10 && refs.some((r) => r.deref() !== undefined); i++) {
      await new Promise((r) => setImmediate(r));
      gc();
    }
  };
  const { after, gone, kept } = await (async () => {
    const before = await graphOfYaml(BASE, { carryOver: true });
    const client = proxiesOf(before).find((p) => p.name === 'productpage')!;
    const old = translateProxy(buildProxyView(before, client), baseWorkloads());
    const after = await graphOfYaml(swap('- { name: http, port: 9080 }', '- { name: http, port: 9081 }')(BASE), { previous: before });
    assert.ok(after.viewBase(), 'a view base: the graphs share view objects, whose fingerprints and entries must not hold the predecessor\'s store');
    packedMesh(after, baseWorkloads());
    const named = (name: string) => new WeakRef(old.clusters.find((c) => c.name === name)!);
    return { after, gone: named('outbound|9080|v1|reviews.shop.svc.cluster.local'), kept: named('outbound|8080||ratings.front.svc.cluster.local') };
  })();
  await collect([gone]);
  assert.ok(gone.deref() !== undefined, 'before release the predecessor\'s entries are reachable through the successor\'s store');
  releaseCarryOver(after);
  assert.equal(carryOverStoreOf(after)!.linked, false);
  await collect([gone]);
  assert.equal(gone.deref(), undefined, 'a cluster the successor did not reuse is collected');
  assert.ok(kept.deref() !== undefined, 'a cluster the successor reused stays (its store holds it)');
  assert.ok(carryOverStoreOf(after)!.sizes.clusters > 0);
});

test.run();
