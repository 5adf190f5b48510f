import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startServe } from '../../../src/cli/xds-command.js';
import type { MeshGraph } from '../../../src/mesh/graph.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { type ResourceKind, type ResourceSet, type XdsResource, packResource, resourceName } from '../../../src/xds/resources.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { seeded } from '../../_random.js';
import { differences, packedMesh } from './_carry.js';
import { FILES, type MeshState, cloneState } from './_mesh-state.js';
import { MUTATIONS } from './_mutations.js';
import {
  KIND_DOCS, POD_EDITS, type Step, find, graphOfState, instancesOf, place, podAnnotations, podLabels, podSpec, reloads, removePod, render, stateOf, viewDifferences, viewsOf,
} from './_view-base.js';

/**
 * Adversarial tests of the view base a reload gets when only VirtualServices, DestinationRules and
 * pod workloads changed (`MeshGraph.viewBase`, `src/mesh/view/carry.ts`): each edits what a view
 * reads from workloads (service accounts, data plane, selection by Services and ServiceEntries,
 * Sidecar / DestinationRule workloadSelectors, sourceLabels, gateway pods, every pod workload kind)
 * and compares every proxy's view (JSON) and every xDS resource (bytes) of the graph built on its
 * predecessor with those of a from-scratch graph of the same input.
 */


test('GIVEN two ServiceEntries of one host whose workloadSelector selects a Deployment (istiod merges their ports into one service) WHEN reloads change the Deployment\'s service account, then turn its sidecar off THEN the merged service\'s service accounts and its clusters\' TLS equal a from-scratch graph\'s', async () => {
  await reloads(stateOf(), [
    { what: 'legacy service account → legacy-v2', edit: (s) => { podSpec(s, 'Deployment', 'legacy').serviceAccountName = 'legacy-v2'; } },
    { what: 'legacy sidecar.istio.io/inject: "false"', edit: (s) => { podAnnotations(s, 'Deployment', 'legacy')['sidecar.istio.io/inject'] = 'false'; } },
  ]);
});

test('GIVEN a ServiceEntry workloadSelector WHEN a reload moves a Deployment into its selection (labels), then out again THEN both services\' views, endpoints and clusters equal a from-scratch graph\'s', async () => {
  await reloads(stateOf(), [
    { what: 'details labels app=legacy', edit: (s) => { podLabels(s, 'Deployment', 'details').app = 'legacy'; } },
    { what: 'details labels app=details', edit: (s) => { podLabels(s, 'Deployment', 'details').app = 'details'; } },
  ]);
});

test('GIVEN a Gateway with a bound VirtualService WHEN a reload turns the productpage Deployment into a gateway by label (istio: ingressgateway), then ratings by the gateway injection template, then both back, then change the gateway pod\'s container port THEN the proxies (sidecar or router), their views and resources equal a from-scratch graph\'s', async () => {
  const graphs = await reloads(stateOf(), [
    { what: 'productpage labels istio=ingressgateway', edit: (s) => { podLabels(s, 'Deployment', 'productpage').istio = 'ingressgateway'; } },
    { what: 'ratings inject.istio.io/templates: gateway + istio=ingressgateway', edit: (s) => { podAnnotations(s, 'Deployment', 'ratings')['inject.istio.io/templates'] = 'gateway'; podLabels(s, 'Deployment', 'ratings').istio = 'ingressgateway'; } },
    { what: 'both back', edit: (s) => { delete podLabels(s, 'Deployment', 'productpage').istio; delete podAnnotations(s, 'Deployment', 'ratings')['inject.istio.io/templates']; delete podLabels(s, 'Deployment', 'ratings').istio; } },
    { what: 'ingress container port web 8080 → 8081 (the Service\'s named targetPort)', edit: (s) => { podSpec(s, 'Deployment', 'ingress').containers[0].ports[0].containerPort = 8081; } },
  ]);
  const routers = (g: MeshGraph) => proxiesOf(g).filter((p) => p.type === 'router').map((p) => p.name).sort();
  assert.equal(graphs.map(routers), [['ingress'], ['ingress', 'productpage'], ['ingress', 'productpage', 'ratings'], ['ingress'], ['ingress']]);
  const listenerPorts = (g: MeshGraph) => buildProxyView(g, proxiesOf(g).find((p) => p.name === 'ingress')!).gatewayServers.map((x) => x.listenerPort);
  assert.equal([listenerPorts(graphs[3]!), listenerPorts(graphs[4]!)], [[8080], [8081]], 'the gateway listens on the container port its Service\'s targetPort names');
});

test('GIVEN reviews behind an ISTIO_MUTUAL DestinationRule (SANs from its pods\' service accounts) and an AuthorizationPolicy naming principals WHEN reloads change a reviews Deployment\'s service account, edit the DestinationRule, change productpage\'s service account, and restore reviews THEN every view and resource equals a from-scratch graph\'s', async () => {
  await reloads(stateOf(), [
    { what: 'reviews-v1 service account reviews-v1', edit: (s) => { podSpec(s, 'Deployment', 'reviews-v1').serviceAccountName = 'reviews-v1'; } },
    { what: 'reviews DestinationRule subset v3', edit: (s) => { find(s, 'DestinationRule', 'reviews').spec.subsets.push({ name: 'v3', labels: { version: 'v3' } }); } },
    { what: 'productpage service account pp (serviceAccount field)', edit: (s) => { const spec = podSpec(s, 'Deployment', 'productpage'); delete spec.serviceAccountName; spec.serviceAccount = 'pp'; } },
    { what: 'reviews-v1 service account reviews', edit: (s) => { podSpec(s, 'Deployment', 'reviews-v1').serviceAccountName = 'reviews'; } },
  ]);
});

test('GIVEN a Sidecar whose workloadSelector selects productpage (egress ./* only) WHEN reloads move productpage out of its selection, edit the reviews VirtualService, move it back, and edit the ratings pods it imports THEN productpage\'s view and resources equal a from-scratch graph\'s', async () => {
  await reloads(stateOf(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: productpage, namespace: front }
spec:
  workloadSelector: { labels: { app: productpage } }
  egress: [{ hosts: ["./*"] }]
  outboundTrafficPolicy: { mode: REGISTRY_ONLY }
`), [
    { what: 'productpage labels app=productpage-x', edit: (s) => { podLabels(s, 'Deployment', 'productpage').app = 'productpage-x'; } },
    { what: 'reviews VirtualService timeout 3s', edit: (s) => { find(s, 'VirtualService', 'reviews').spec.http[0].timeout = '3s'; } },
    { what: 'productpage labels app=productpage', edit: (s) => { podLabels(s, 'Deployment', 'productpage').app = 'productpage'; } },
    { what: 'ratings (imported by ./*) service account ratings-2 and sidecar off', edit: (s) => { podSpec(s, 'Deployment', 'ratings').serviceAccountName = 'ratings-2'; podAnnotations(s, 'Deployment', 'ratings')['sidecar.istio.io/inject'] = 'false'; } },
  ]);
});

test('GIVEN a DestinationRule with a workloadSelector for productpage\'s calls to reviews, and a VirtualService route matching sourceLabels app=productpage WHEN reloads relabel productpage out of both and back, edit the rule, give ratings the labels too, and change the matched route\'s destination pods THEN every view and resource equals a from-scratch graph\'s', async () => {
  await reloads(stateOf(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews-for-productpage, namespace: front }
spec:
  host: reviews.shop.svc.cluster.local
  workloadSelector: { matchLabels: { app: productpage } }
  trafficPolicy:
    loadBalancer: { simple: LEAST_REQUEST }
  subsets:
  - { name: v1, labels: { version: v1 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ratings, namespace: front }
spec:
  hosts: [ratings]
  http:
  - match: [{ sourceLabels: { app: productpage } }]
    route: [{ destination: { host: reviews.shop.svc.cluster.local } }]
  - route: [{ destination: { host: ratings } }]
`), [
    { what: 'productpage labels app=productpage-x', edit: (s) => { podLabels(s, 'Deployment', 'productpage').app = 'productpage-x'; } },
    { what: 'productpage labels app=productpage', edit: (s) => { podLabels(s, 'Deployment', 'productpage').app = 'productpage'; } },
    { what: 'DestinationRule for productpage: ROUND_ROBIN', edit: (s) => { find(s, 'DestinationRule', 'reviews-for-productpage').spec.trafficPolicy.loadBalancer.simple = 'ROUND_ROBIN'; } },
    { what: 'ratings labels app=productpage too (a second pod the match names)', edit: (s) => { podLabels(s, 'Deployment', 'ratings').app = 'productpage'; } },
    { what: 'reviews-v1 (the matched route\'s destination) service account reviews-1', edit: (s) => { podSpec(s, 'Deployment', 'reviews-v1').serviceAccountName = 'reviews-1'; } },
  ]);
});

test('GIVEN the reviews VirtualService delegating its routes (to reviews subsets and to details) to a VirtualService without hosts WHEN reloads change details\' and reviews-v2\'s pods, edit the delegate, and change details again THEN every view and resource equals a from-scratch graph\'s', async () => {
  const start = stateOf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-delegate, namespace: shop }
spec:
  http:
  - match: [{ uri: { prefix: /details } }]
    route: [{ destination: { host: details } }]
  - route:
    - { destination: { host: reviews, subset: v1 }, weight: 80 }
    - { destination: { host: reviews, subset: v2 }, weight: 20 }
`);
  find(start, 'VirtualService', 'reviews').spec.http = [{ match: [{ uri: { prefix: '/' } }], delegate: { name: 'reviews-delegate', namespace: 'shop' } }];
  await reloads(start, [
    { what: 'details service account details-2', edit: (s) => { podSpec(s, 'Deployment', 'details').serviceAccountName = 'details-2'; } },
    { what: 'reviews-v2 labels version=v3', edit: (s) => { podLabels(s, 'Deployment', 'reviews-v2').version = 'v3'; } },
    { what: 'delegate VirtualService: details route timeout 2s', edit: (s) => { find(s, 'VirtualService', 'reviews-delegate').spec.http[0].timeout = '2s'; } },
    { what: 'details sidecar off', edit: (s) => { podAnnotations(s, 'Deployment', 'details')['sidecar.istio.io/inject'] = 'false'; } },
  ]);
});

test('GIVEN reviews and details in one namespace WHEN reloads move reviews-v2 to details (labels), edit the reviews DestinationRule, and move it back THEN both services\' views and resources equal a from-scratch graph\'s', async () => {
  await reloads(stateOf(), [
    { what: 'reviews-v2 labels app=details', edit: (s) => { podLabels(s, 'Deployment', 'reviews-v2').app = 'details'; } },
    { what: 'reviews DestinationRule outlierDetection', edit: (s) => { find(s, 'DestinationRule', 'reviews').spec.trafficPolicy.outlierDetection = { consecutive5xxErrors: 2 }; } },
    { what: 'reviews-v2 labels app=reviews', edit: (s) => { podLabels(s, 'Deployment', 'reviews-v2').app = 'reviews'; } },
  ]);
});

test('GIVEN a Pod and a Deployment with the same labels (details) WHEN reloads change the Pod\'s service account, turn its sidecar off by label, and remove it THEN every view and resource equals a from-scratch graph\'s', async () => {
  await reloads(stateOf(`apiVersion: v1
kind: Pod
metadata: { name: details-pod, namespace: shop, labels: { app: details } }
spec: { serviceAccountName: details, containers: [{ name: app }] }
`), [
    { what: 'details-pod service account details-pod', edit: (s) => { podSpec(s, 'Pod', 'details-pod').serviceAccountName = 'details-pod'; } },
    { what: 'details-pod label sidecar.istio.io/inject: "false"', edit: (s) => { podLabels(s, 'Pod', 'details-pod')['sidecar.istio.io/inject'] = 'false'; } },
    { what: 'details-pod removed', edit: (s) => { removePod(s, 'Pod', 'details-pod'); } },
  ]);
});

test('GIVEN a wildcard ServiceEntry (*.wild.internal) and a ServiceEntry for the reviews Service\'s own host in front, both selecting pods, with a VirtualService routing to a.wild.internal WHEN reloads change the selected pods\' service accounts and sidecars THEN the views (front\'s reviews is the ServiceEntry) and resources equal a from-scratch graph\'s', async () => {
  await reloads(stateOf(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: wild, namespace: shop }
spec:
  hosts: ["*.wild.internal"]
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector: { labels: { app: legacy } }
  ports:
  - { number: 80, name: http, protocol: HTTP }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews-local, namespace: front }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector: { labels: { app: ratings } }
  ports:
  - { number: 9080, name: http, protocol: HTTP }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: wild, namespace: shop }
spec:
  hosts: [a.wild.internal]
  http:
  - route: [{ destination: { host: a.wild.internal } }]
    timeout: 4s
`), [
    { what: 'legacy service account legacy-w', edit: (s) => { podSpec(s, 'Deployment', 'legacy').serviceAccountName = 'legacy-w'; } },
    { what: 'ratings service account ratings-2', edit: (s) => { podSpec(s, 'Deployment', 'ratings').serviceAccountName = 'ratings-2'; } },
    { what: 'legacy and ratings sidecars off', edit: (s) => { podAnnotations(s, 'Deployment', 'legacy')['sidecar.istio.io/inject'] = 'false'; podAnnotations(s, 'Deployment', 'ratings')['sidecar.istio.io/inject'] = 'false'; } },
  ]);
});

test('GIVEN a Kubernetes Service (shop) and a ServiceEntry for its host in front (an external DNS endpoint) WHEN the two namespaces\' proxies\' views are built in either order, in one graph THEN each namespace\'s cluster for the host is its own choice of service (shop: EDS; front: STRICT_DNS to the endpoint), whoever asked first', async () => {
  const docs = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews-external, namespace: front }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - { number: 9080, name: http, protocol: HTTP }
  endpoints: [{ address: reviews.example.com }]
`;
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-base-'));
  try {
    const reviews = (g: MeshGraph, ns: string) => {
      const v = buildProxyView(g, proxiesOf(g).find((p) => p.namespace === ns)!);
      return v.clusters.filter((c) => c.name === 'outbound|9080||reviews.shop.svc.cluster.local').map((c) => `${c.discovery} ${c.policy.tls.mode} ${(c.endpoints ?? []).map((e) => e.address).join(',')}`);
    };
    const shopFirst = await graphOfState(stateOf(docs), join(dir, 'm'));
    const frontFirst = await graphOfState(stateOf(docs), join(dir, 'm'));
    const a = { shop: reviews(shopFirst, 'shop'), front: reviews(shopFirst, 'front') };
    const b = { front: reviews(frontFirst, 'front'), shop: reviews(frontFirst, 'shop') };
    assert.equal(a, { shop: ['EDS ISTIO_MUTUAL '], front: ['STRICT_DNS ISTIO_MUTUAL reviews.example.com'] });
    assert.equal(b, a, 'the same clusters whichever namespace asked first');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [kind, name] of [['StatefulSet', 'store'], ['DaemonSet', 'agent'], ['ReplicaSet', 'rs'], ['Job', 'job'], ['CronJob', 'cron']] as const) {
  test(`GIVEN a ${kind} a Service or ServiceEntry selects WHEN reloads change its service account, turn its sidecar off, and move it to another service THEN every view and resource equals a from-scratch graph's`, async () => {
    await reloads(stateOf(KIND_DOCS), [
      { what: `${kind} ${name} service account ${name}-2`, edit: (s) => { podSpec(s, kind, name).serviceAccountName = `${name}-2`; } },
      { what: `${kind} ${name} sidecar.istio.io/inject: "false"`, edit: (s) => { podAnnotations(s, kind, name)['sidecar.istio.io/inject'] = 'false'; } },
      { what: `${kind} ${name} labels app=old-${name}`, edit: (s) => { podLabels(s, kind, name).app = kind === 'DaemonSet' || kind === 'Job' ? 'productpage' : 'details'; delete podAnnotations(s, kind, name)['sidecar.istio.io/inject']; } },
    ]);
  });
}

test('GIVEN reviews pods WHEN reloads capture reviews-v2 in ambient (ambient.istio.io/redirection), put reviews-v1 on the host network, and undo both THEN reviews\' data plane, its clusters\' TLS and the proxies equal a from-scratch graph\'s', async () => {
  await reloads(stateOf(), [
    { what: 'reviews-v2 ambient.istio.io/redirection: enabled', edit: (s) => { podAnnotations(s, 'Deployment', 'reviews-v2')['ambient.istio.io/redirection'] = 'enabled'; } },
    { what: 'reviews-v1 hostNetwork', edit: (s) => { podSpec(s, 'Deployment', 'reviews-v1').hostNetwork = true; } },
    { what: 'reviews-v2 ambient too, hostNetwork off', edit: (s) => { podAnnotations(s, 'Deployment', 'reviews-v1')['ambient.istio.io/redirection'] = 'enabled'; delete podSpec(s, 'Deployment', 'reviews-v1').hostNetwork; } },
    { what: 'both back', edit: (s) => { delete podAnnotations(s, 'Deployment', 'reviews-v1')['ambient.istio.io/redirection']; delete podAnnotations(s, 'Deployment', 'reviews-v2')['ambient.istio.io/redirection']; } },
  ]);
});

test('GIVEN a Deployment in a namespace without injection (legacy/old) WHEN reloads turn its sidecar on by pod label, off by annotation while the label says true, and on by istio.io/rev THEN the proxies, views and resources equal a from-scratch graph\'s', async () => {
  const graphs = await reloads(stateOf(), [
    { what: 'old label sidecar.istio.io/inject: "true"', edit: (s) => { podLabels(s, 'Deployment', 'old')['sidecar.istio.io/inject'] = 'true'; } },
    { what: 'details annotation sidecar.istio.io/inject: "false" (label "true")', edit: (s) => { podAnnotations(s, 'Deployment', 'details')['sidecar.istio.io/inject'] = 'false'; podLabels(s, 'Deployment', 'details')['sidecar.istio.io/inject'] = 'true'; } },
    { what: 'old: label removed, istio.io/rev: canary', edit: (s) => { delete podLabels(s, 'Deployment', 'old')['sidecar.istio.io/inject']; podLabels(s, 'Deployment', 'old')['istio.io/rev'] = 'canary'; } },
  ]);
  const has = (g: MeshGraph, name: string) => proxiesOf(g).some((p) => p.name === name);
  assert.equal(graphs.map((g) => has(g, 'old')), [false, true, true, true], 'legacy/old gets a sidecar');
});

test('GIVEN the mesh with every pod workload kind WHEN seeded chains of four reloads mix random pod workload edits (labels, service accounts, injection, ambient, host network, gateway, container ports, removed, added) with VirtualService and DestinationRule edits THEN every reload gets a view base AND every view and resource equals a from-scratch graph\'s', async () => {
  const seed = Number(process.env.MESHPROOF_CARRY_SEED ?? 20261130);
  const routeEdits = MUTATIONS.filter((m) => m.name.startsWith('VirtualService') || m.name.startsWith('DestinationRule'));
  const r = seeded(seed);
  const changed = { n: 0 };
  let steps = 0;
  for (let chain = 0; chain < Number(process.env.MESHPROOF_VIEW_BASE_CHAINS ?? 4); chain++) {
    const list: Step[] = [];
    for (let i = 0; i < 4; i++) {
      if (r() < 0.25) {
        const m = routeEdits[Math.floor(r() * routeEdits.length)]!;
        list.push({ what: `[${m.name}]`, edit: (s) => m.apply(s, r) });
      } else {
        const e = POD_EDITS[Math.floor(r() * POD_EDITS.length)]!;
        list.push({ what: '[pod workload]', edit: (s) => e(s, r) });
      }
    }
    await reloads(stateOf(KIND_DOCS), list, { mustChange: false, changed });
    steps += list.length;
  }
  assert.ok(changed.n > steps / 2, `most reloads change some view or resource: ${changed.n}/${steps}`);
});

test('GIVEN a reload on a view base whose predecessor is garbage collected when only half its proxies were translated WHEN the rest are translated and a third graph is built on it after another workload edit THEN both graphs\' views and resources equal from-scratch ones', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-base-'));
  try {
    const s1 = stateOf();
    const s2 = cloneState(s1);
    podSpec(s2, 'Deployment', 'legacy').serviceAccountName = 'legacy-2';
    podLabels(s2, 'Deployment', 'reviews-v2').app = 'details';
    s2.workloads = instancesOf(s2.placed.map((p) => p.doc));
    const s3 = cloneState(s2);
    podAnnotations(s3, 'Deployment', 'details')['sidecar.istio.io/inject'] = 'false';
    find(s3, 'VirtualService', 'reviews').spec.http[0].timeout = '5s';
    let g1: MeshGraph | undefined = await graphOfState(s1, join(dir, 'm'), { carryOver: true });
    const before = viewsOf(g1);
    packedMesh(g1, s1.workloads);
    const g2 = await graphOfState(s2, join(dir, 'm'), { previous: g1 });
    assert.ok(g2.viewBase(), 'the second graph has a view base');
    const half = proxiesOf(g2).slice(0, 4).map((p) => `${p.type} ${p.namespace}/${p.name}`);
    for (const p of proxiesOf(g2).slice(0, 4)) buildProxyView(g2, p);
    const collected = new WeakRef(g1);
    g1 = undefined;
    for (let i = 0; i < 3 && collected.deref() !== undefined; i++) {
      await new Promise((r) => setImmediate(r));
      gc();
    }
    assert.is(collected.deref(), undefined, 'the first graph is garbage collected (else this tests nothing)');
    assert.is(g2.viewBase(), undefined, 'no view base once the predecessor is gone');
    const fresh2 = await graphOfState(s2, join(dir, 'm'));
    const views2 = viewsOf(g2);
    assert.equal(viewDifferences(views2, viewsOf(fresh2)), []);
    assert.ok(half.some((k) => views2.get(k) !== before.get(k)), 'the edit changed a view translated before the collection');
    assert.equal(differences(packedMesh(g2, s2.workloads), packedMesh(fresh2, s2.workloads, false)), []);
    const g3 = await graphOfState(s3, join(dir, 'm'), { previous: g2 });
    assert.ok(g3.viewBase(), 'the third graph has a view base (its predecessor is alive)');
    const fresh3 = await graphOfState(s3, join(dir, 'm'));
    assert.equal(viewDifferences(viewsOf(g3), viewsOf(fresh3)), []);
    assert.equal(differences(packedMesh(g3, s3.workloads), packedMesh(fresh3, s3.workloads, false)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const KINDS: [ResourceKind, keyof ResourceSet][] = [['cluster', 'clusters'], ['endpoint', 'endpoints'], ['listener', 'listeners'], ['route', 'routes']];

test('GIVEN xds serve over two files (pod workloads in the second) with every node\'s snapshot made WHEN reloads change the merged ServiceEntries\' Deployment\'s service account, turn productpage into a gateway, turn details\' sidecar off (its nodes go) and edit the reviews VirtualService THEN each reload shares the views AND every node\'s served resources equal a from-scratch translation, and no snapshot is served for a proxy that is gone', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-view-base-serve-'));
  const write = (s: MeshState) => {
    render(s).forEach((text, i) => writeFileSync(join(work, FILES[i]!), text));
    writeFileSync(join(work, 'workloads.json'), JSON.stringify({ workloads: s.workloads }));
  };
  let state = stateOf();
  write(state);
  const logs: string[] = [];
  const h = await startServe({ paths: FILES, workloads: 'workloads.json', listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
  const dir = join(work, 'scratch');
  try {
    const nodeIds = (g: MeshGraph) => proxiesOf(g).flatMap((p) => (p.type === 'sidecar' ? [`${p.namespace}/${p.name}`, `grpc:${p.namespace}/${p.name}`] : [`${p.namespace}/${p.name}`]));
    let previousIds = nodeIds(await graphOfState(state, dir));
    let servedBefore = new Map<string, string>();
    for (const id of previousIds) {
      const snapshot = h.cache.getSnapshot(id);
      assert.ok(snapshot, `${id} is served`);
      for (const [kind] of KINDS) servedBefore.set(`${id} ${kind}`, [...snapshot.types[kind].resources].map(([name, any]) => `${name} ${Buffer.from(any.value).toString('hex')}`).sort().join('\n'));
    }
    const steps: Step[] = [
      { what: 'legacy service account legacy-2', edit: (s) => { podSpec(s, 'Deployment', 'legacy').serviceAccountName = 'legacy-2'; } },
      { what: 'productpage istio=ingressgateway', edit: (s) => { podLabels(s, 'Deployment', 'productpage').istio = 'ingressgateway'; } },
      { what: 'details sidecar off (auto mTLS to details turns plaintext)', edit: (s) => { podAnnotations(s, 'Deployment', 'details')['sidecar.istio.io/inject'] = 'false'; } },
      { what: 'reviews VirtualService 50/50', edit: (s) => { const route = find(s, 'VirtualService', 'reviews').spec.http[0].route; route[0].weight = 50; route[1].weight = 50; } },
    ];
    for (const step of steps) {
      const next = cloneState(state);
      step.edit(next);
      place(next);
      next.workloads = instancesOf(next.placed.map((p) => p.doc));
      write(next);
      assert.ok(await h.reload(), `${step.what}: published`);
      assert.match(logs.at(-1)!, /views shared/, `${step.what}: the reload is built on a view base: ${logs.at(-1)}`);
      const fresh = await graphOfState(next, dir);
      const ids = nodeIds(fresh);
      let compared = 0;
      const served: Map<string, string> = new Map();
      for (const proxy of proxiesOf(fresh)) {
        for (const proxyless of proxy.type === 'sidecar' ? [false, true] : [false]) {
          const id = `${proxyless ? 'grpc:' : ''}${proxy.namespace}/${proxy.name}`;
          const snapshot = h.cache.getSnapshot(id);
          assert.ok(snapshot, `${step.what}: ${id} is served`);
          const scratch = translateProxy(buildProxyView(fresh, proxy), next.workloads, { proxyless, cache: false });
          for (const [kind, key] of KINDS) {
            const expected = ((scratch[key] ?? []) as readonly XdsResource[]).map((r) => `${resourceName(kind, r)} ${Buffer.from(packResource(kind, r).value).toString('hex')}`).sort();
            const got = [...snapshot.types[kind].resources].map(([name, any]) => `${name} ${Buffer.from(any.value).toString('hex')}`).sort();
            assert.equal(got, expected, `STALE SERVED CONFIG after ${step.what}: ${id} ${kind}`);
            compared += expected.length;
            served.set(`${id} ${kind}`, got.join('\n'));
          }
        }
      }
      assert.ok(compared > 50, `${step.what}: compared ${compared} resources`);
      const gone = previousIds.filter((id) => !ids.includes(id));
      for (const id of gone) assert.is(h.cache.getSnapshot(id), undefined, `${step.what}: ${id} is no longer served`);
      assert.ok(gone.length > 0 || [...served].some(([k, v]) => servedBefore.get(k) !== v), `${step.what}: some served resource changed or some node is gone (else this proves nothing)`);
      servedBefore = served;
      previousIds = ids;
      state = next;
    }
    assert.ok(previousIds.includes('front/productpage') && !previousIds.includes('grpc:front/productpage'), 'productpage is a gateway now');
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();

