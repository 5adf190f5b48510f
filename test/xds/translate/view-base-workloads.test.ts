import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { MeshGraph } from '../../../src/mesh/graph.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { prepareCarryOver } from '../../../src/xds/translate/carry-over.js';
import type { WorkloadInstance } from '../../../src/xds/translate/index.js';
import { differences, packedMesh } from './_carry.js';
import { type Doc, type MeshState, cloneState, graphOf } from './_mesh-state.js';

/**
 * Adversarial tests of the view base a reload gets when only VirtualServices, DestinationRules and
 * pod workloads changed (`MeshGraph.viewBase`, `src/mesh/view/carry.ts`): each edits what a view
 * reads from workloads (service accounts, data plane, selection by Services and ServiceEntries,
 * Sidecar / DestinationRule workloadSelectors, sourceLabels, gateway pods, every pod workload kind)
 * and compares every proxy's view (JSON) and every xDS resource (bytes) of the graph built on its
 * predecessor with those of a from-scratch graph of the same input.
 */

const POD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'];

/**
 * Namespaces shop and front (injected), legacy (not injected), istio-system with an ingress gateway
 * (its Service's targetPort named after the gateway pod's container port) and a Gateway a front
 * VirtualService binds to; reviews v1/v2 with a DestinationRule and a VirtualService, details,
 * ratings, productpage, two ServiceEntries of one host whose workloadSelector selects the legacy
 * pods (istiod merges their ports into one service), and an AuthorizationPolicy naming principals.
 */
const BASE = `
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: front, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: legacy }
---
apiVersion: v1
kind: Namespace
metadata: { name: istio-system }
---
apiVersion: v1
kind: Service
metadata: { name: istio-ingressgateway, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  ports:
  - { name: http, port: 80, targetPort: web }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: public, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["*/*.example.com"]
---
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: shop }
spec:
  selector: { app: reviews }
  ports:
  - { name: http, port: 9080 }
---
apiVersion: v1
kind: Service
metadata: { name: details, namespace: shop }
spec:
  selector: { app: details }
  ports:
  - { name: http, port: 9080 }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: legacy-a, namespace: shop }
spec:
  hosts: [legacy.shop.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector: { labels: { app: legacy } }
  ports:
  - { number: 8080, name: http, protocol: HTTP }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: legacy-b, namespace: shop }
spec:
  hosts: [legacy.shop.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector: { labels: { app: legacy } }
  ports:
  - { number: 9090, name: grpc, protocol: GRPC }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: reviews, namespace: shop }
spec:
  selector: { matchLabels: { app: reviews } }
  rules:
  - from: [{ source: { principals: [cluster.local/ns/front/sa/productpage] } }]
---
apiVersion: v1
kind: Service
metadata: { name: ratings, namespace: front }
spec:
  selector: { app: ratings }
  ports:
  - { name: http, port: 8080 }
---
apiVersion: v1
kind: Service
metadata: { name: productpage, namespace: front }
spec:
  selector: { app: productpage }
  ports:
  - { name: http, port: 9080 }
---
apiVersion: v1
kind: Service
metadata: { name: old, namespace: legacy }
spec:
  selector: { app: old }
  ports:
  - { name: http, port: 80 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ingress, namespace: istio-system }
spec:
  template:
    metadata: { labels: { istio: ingressgateway } }
    spec: { containers: [{ name: istio-proxy, args: [proxy, router], ports: [{ name: web, containerPort: 8080 }] }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reviews-v1, namespace: shop }
spec:
  template:
    metadata: { labels: { app: reviews, version: v1 } }
    spec: { serviceAccountName: reviews, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reviews-v2, namespace: shop }
spec:
  template:
    metadata: { labels: { app: reviews, version: v2 } }
    spec: { serviceAccountName: reviews, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: details, namespace: shop }
spec:
  template:
    metadata: { labels: { app: details } }
    spec: { serviceAccountName: details, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: legacy, namespace: shop }
spec:
  template:
    metadata: { labels: { app: legacy } }
    spec: { serviceAccountName: legacy, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ratings, namespace: front }
spec:
  template:
    metadata: { labels: { app: ratings } }
    spec: { serviceAccountName: ratings, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: productpage, namespace: front }
spec:
  template:
    metadata: { labels: { app: productpage } }
    spec: { serviceAccountName: productpage, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: old, namespace: legacy }
spec:
  template:
    metadata: { labels: { app: old } }
    spec: { containers: [{ name: app }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: shop }
spec:
  host: reviews
  trafficPolicy:
    tls: { mode: ISTIO_MUTUAL }
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews]
  http:
  - route:
    - { destination: { host: reviews, subset: v1 }, weight: 80 }
    - { destination: { host: reviews, subset: v2 }, weight: 20 }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ratings-public, namespace: front }
spec:
  hosts: [ratings.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: { host: ratings }
`;

const docsOf = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJS() as Doc).filter((d) => d && typeof d === 'object');

/** Pod workloads, VirtualServices and DestinationRules in the second file (editing one moves no other kind's lines), the rest in the first. */
function place(s: MeshState): MeshState {
  for (const p of s.placed) p.file = [...POD_KINDS, 'VirtualService', 'DestinationRule'].includes(p.doc.kind) ? 1 : 0;
  return s;
}

/** The pod template of a pod workload document (the Pod itself for a Pod). */
function template(d: Doc): Doc {
  if (d.kind === 'Pod') return d;
  if (d.kind === 'CronJob') return (((d.spec ??= {}).jobTemplate ??= {}).spec ??= {}).template ??= {};
  return (d.spec ??= {}).template ??= {};
}

/** One workload instance (an address the runtime reports) per pod workload outside istio-system, with its pod labels. */
function instancesOf(docs: readonly Doc[]): WorkloadInstance[] {
  return docs.filter((d) => POD_KINDS.includes(d.kind) && d.metadata?.namespace !== 'istio-system').map((d, i) => ({
    name: String(d.metadata.name), namespace: String(d.metadata.namespace), address: `10.3.0.${i + 1}`,
    labels: { ...(template(d).metadata?.labels ?? {}), 'security.istio.io/tlsMode': 'istio' }, ports: {},
  }));
}

/** A mesh state of `docs` (the base mesh, with `extra` documents appended). */
function stateOf(extra = ''): MeshState {
  const docs = docsOf(BASE + (extra ? `---\n${extra}` : ''));
  return place({ corpus: 'view-base-workloads', placed: docs.map((doc) => ({ doc, file: 0, pad: 0, flow: false })), workloads: instancesOf(docs) });
}

/** An edit of the input: what it does, and the edit itself (on the state's documents, in place). */
interface Step {
  readonly what: string;
  readonly edit: (s: MeshState) => void;
}

const find = (s: MeshState, kind: string, name: string): Doc => {
  const p = s.placed.find((x) => x.doc.kind === kind && x.doc.metadata?.name === name);
  if (!p) throw new Error(`no ${kind} ${name} in the test mesh`);
  return p.doc;
};

/** Pod labels of workload `name` (any pod kind). */
const podLabels = (s: MeshState, kind: string, name: string): Record<string, string> => ((template(find(s, kind, name)).metadata ??= {}).labels ??= {});
const podAnnotations = (s: MeshState, kind: string, name: string): Record<string, string> => ((template(find(s, kind, name)).metadata ??= {}).annotations ??= {});
const podSpec = (s: MeshState, kind: string, name: string): Doc => (template(find(s, kind, name)).spec ??= {});

/** Every proxy's view as JSON, by `<namespace>/<name>`. */
function viewsOf(graph: MeshGraph): Map<string, string> {
  return new Map(proxiesOf(graph).map((p) => [`${p.type} ${p.namespace}/${p.name}`, JSON.stringify(buildProxyView(graph, p))]));
}

/** Proxies whose view differs between two graphs (or that only one has), with the first difference. */
function viewDifferences(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    if (x === y) continue;
    if (x === undefined || y === undefined) {
      out.push(`${key}: only in the ${x === undefined ? 'from-scratch' : 'carried'} graph`);
      continue;
    }
    let i = 0;
    while (i < x.length && x[i] === y[i]) i++;
    out.push(`${key}: …${x.slice(Math.max(0, i - 100), i + 80)}… vs …${y.slice(Math.max(0, i - 100), i + 80)}…`);
  }
  return out;
}

/** How many cluster views and host routes of `next`'s proxies are `previous`'s very objects. */
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

/**
 * Builds `start`, then applies `steps` one reload at a time, each graph built on its predecessor
 * (whose every view and resource was computed first, so its caches are full). Each reload must get
 * a view base, change some proxy's view or resources, share view objects with its predecessor, and
 * equal, view for view and byte for byte, a from-scratch graph of the same input.
 */
async function reloads(start: MeshState, steps: readonly Step[], hooks: { readonly between?: (graph: MeshGraph, next: MeshGraph) => Promise<void> } = {}): Promise<MeshGraph[]> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-base-'));
  const graphs: MeshGraph[] = [];
  try {
    let state = cloneState(start);
    let graph = await graphOf(state, join(dir, 'm'), { carryOver: true });
    let views = viewsOf(graph);
    let packed = packedMesh(graph, state.workloads);
    graphs.push(graph);
    const history: string[] = [];
    for (const step of steps) {
      const next = cloneState(state);
      step.edit(next);
      place(next);
      next.workloads = instancesOf(next.placed.map((p) => p.doc));
      history.push(step.what);
      prepareCarryOver(graph);
      const reloaded = await graphOf(next, join(dir, 'm'), { previous: graph });
      const base = reloaded.viewBase();
      assert.ok(base, `${history.join(' → ')}: the reload gets a view base`);
      assert.ok(base.changed.every((o) => [...POD_KINDS, 'VirtualService', 'DestinationRule'].includes(o.kind)), `${history.join(' → ')}: only pod workloads and routing changed`);
      await hooks.between?.(graph, reloaded);
      const fresh = await graphOf(next, join(dir, 'm'));
      const freshViews = viewsOf(fresh);
      const carriedViews = viewsOf(reloaded);
      const stale = viewDifferences(carriedViews, freshViews);
      assert.equal(stale, [], `STALE VIEW after ${history.join(' → ')}`);
      const carried = packedMesh(reloaded, next.workloads);
      const scratch = packedMesh(fresh, next.workloads, false);
      assert.equal(differences(carried, scratch), [], `STALE CONFIG after ${history.join(' → ')}`);
      assert.ok(viewDifferences(views, freshViews).length > 0 || differences(packed, scratch).length > 0, `${history.join(' → ')}: the edit changes some proxy's view or resources (else this proves nothing)`);
      assert.ok(sharedObjects(graph, reloaded) > 0, `${history.join(' → ')}: the reload shares view objects with its predecessor`);
      graph = reloaded;
      views = carriedViews;
      packed = carried;
      state = next;
      graphs.push(graph);
    }
    return graphs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('GIVEN two ServiceEntries of one host whose workloadSelector selects a Deployment (istiod merges their ports into one service) WHEN reloads change the Deployment\'s service account, then turn its sidecar off THEN the merged service\'s service accounts and its clusters\' TLS equal a from-scratch graph\'s', async () => {
  await reloads(stateOf(), [
    { what: 'legacy service account → legacy-v2', edit: (s) => { podSpec(s, 'Deployment', 'legacy').serviceAccountName = 'legacy-v2'; } },
    { what: 'legacy sidecar.istio.io/inject: "false"', edit: (s) => { podAnnotations(s, 'Deployment', 'legacy')['sidecar.istio.io/inject'] = 'false'; } },
  ]);
});

test.run();
