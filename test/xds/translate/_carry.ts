/** A small YAML mesh for the carry-over tests, loaded through the real loader (real file positions). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshGraph, type GraphOptions } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { runRules } from '../../../src/checks/engine.js';
import { ALL_RULES } from '../../../src/checks/rules/index.js';
import { type ResourceKind, type ResourceSet, type XdsResource, packResource, resourceName } from '../../../src/xds/resources.js';
import { translateProxy, type WorkloadInstance } from '../../../src/xds/translate/index.js';

/**
 * Two namespaces: `shop` (reviews v1/v2 with a DestinationRule, a 80/20 VirtualService, a
 * PeerAuthentication, an AuthorizationPolicy) and `front` (ratings, productpage), an external
 * ServiceEntry, an ingress gateway routing `ratings.example.com`, and the `istio` ConfigMap. Each mutation in the tests edits this text.
 */
export const BASE = `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: front, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: istio-system }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ingress, namespace: istio-system }
spec:
  template:
    metadata: { labels: { istio: ingressgateway } }
    spec: { containers: [{ name: istio-proxy, args: [proxy, router] }] }
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
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ratings-public, namespace: front }
spec:
  hosts: [ratings.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: { host: ratings }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: |
    outboundTrafficPolicy:
      mode: ALLOW_ANY
---
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: shop }
spec:
  selector: { app: reviews }
  ports:
  - { name: http, port: 9080 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reviews-v1, namespace: shop }
spec:
  template:
    metadata: { labels: { app: reviews, version: v1 } }
    spec: { containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reviews-v2, namespace: shop }
spec:
  template:
    metadata: { labels: { app: reviews, version: v2 } }
    spec: { containers: [{ name: app }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: shop }
spec:
  host: reviews
  exportTo: ["*"]
  trafficPolicy:
    outlierDetection: { consecutive5xxErrors: 3 }
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
---
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
    timeout: 2s
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: shop }
spec:
  mtls: { mode: PERMISSIVE }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: reviews, namespace: shop }
spec:
  selector: { matchLabels: { app: reviews } }
  rules:
  - from: [{ source: { namespaces: [front] } }]
---
apiVersion: v1
kind: Service
metadata: { name: ratings, namespace: front }
spec:
  selector: { app: ratings }
  ports:
  - { name: http, port: 8080 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ratings, namespace: front }
spec:
  template:
    metadata: { labels: { app: ratings } }
    spec: { containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: productpage, namespace: front }
spec:
  template:
    metadata: { labels: { app: productpage } }
    spec: { containers: [{ name: app }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: payments, namespace: front }
spec:
  hosts: [api.payments.example]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - { number: 80, name: http, protocol: HTTP }
`;

/** Workload instances for {@link BASE}. */
export function baseWorkloads(): WorkloadInstance[] {
  return [
    { name: 'reviews-v1', namespace: 'shop', address: '10.0.0.1', labels: { app: 'reviews', version: 'v1', 'security.istio.io/tlsMode': 'istio' }, ports: {} },
    { name: 'reviews-v2', namespace: 'shop', address: '10.0.0.2', labels: { app: 'reviews', version: 'v2', 'security.istio.io/tlsMode': 'istio' }, ports: {} },
    { name: 'ratings', namespace: 'front', address: '10.0.1.1', labels: { app: 'ratings', 'security.istio.io/tlsMode': 'istio' }, ports: {} },
    { name: 'productpage', namespace: 'front', address: '10.0.1.2', labels: { app: 'productpage' }, ports: {} },
  ];
}

/** The graph of `yaml` (one file, through the loader), with `opts`. */
export async function graphOfYaml(yaml: string, opts: GraphOptions = {}): Promise<MeshGraph> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-carry-'));
  try {
    const file = join(dir, 'mesh.yaml');
    writeFileSync(file, yaml);
    const loaded = await loadInputs(['mesh.yaml'], { cwd: dir });
    const unusable = loaded.problems.filter((p) => p.unusable);
    if (unusable.length > 0) throw new Error(`test mesh unusable: ${unusable.map((p) => p.message).join('; ')}`);
    return MeshGraph.from(loaded.files, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `bytes` as a latin1 string (one character per byte), read in place. */
const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

const KINDS: [ResourceKind, keyof ResourceSet][] = [['cluster', 'clusters'], ['endpoint', 'endpoints'], ['listener', 'listeners'], ['route', 'routes']];

/**
 * Every proxy's resources (sidecars also as proxyless gRPC nodes), each resource packed anew:
 * `<node> <kind> <name>` → its Any encoding as a latin1 string (one character per byte, compared
 * byte for byte: half the size of hex, and no hex conversion), in order.
 */
export function packedMesh(graph: MeshGraph, workloads: readonly WorkloadInstance[], cache = true): Map<string, string> {
  const out = new Map<string, string>();
  for (const proxy of proxiesOf(graph)) {
    for (const proxyless of proxy.type === 'sidecar' ? [false, true] : [false]) {
      const set = translateProxy(buildProxyView(graph, proxy), workloads, { proxyless, cache });
      for (const [kind, key] of KINDS) {
        for (const r of (set[key] ?? []) as readonly XdsResource[]) {
          out.set(`${proxy.namespace}/${proxy.name}${proxyless ? ' (grpc)' : ''} ${kind} ${resourceName(kind, r)}`, latin1(packResource(kind, r).value));
        }
      }
    }
  }
  return out;
}

/** Keys whose bytes differ between two packed meshes, or that only one has; `(order)` when only the order differs. */
export function differences(a: Map<string, string>, b: Map<string, string>): string[] {
  const names = [...new Set([...a.keys(), ...b.keys()])];
  const diff = names.filter((n) => a.get(n) !== b.get(n));
  if (diff.length === 0 && JSON.stringify([...a.keys()]) !== JSON.stringify([...b.keys()])) return ['(order)'];
  return diff;
}

/** Proxies whose view (as JSON: problems, origins, subset labels, what no xDS byte shows) on `carried` differs from the one on `fresh`, with the first difference. */
export function viewDifferences(carried: MeshGraph, fresh: MeshGraph): string[] {
  const out: string[] = [];
  const freshViews = new Map(proxiesOf(fresh).map((p) => [`${p.namespace}/${p.name}`, JSON.stringify(buildProxyView(fresh, p))]));
  for (const p of proxiesOf(carried)) {
    const a = JSON.stringify(buildProxyView(carried, p));
    const b = freshViews.get(`${p.namespace}/${p.name}`);
    if (a === b) continue;
    let i = 0;
    while (b !== undefined && i < a.length && a[i] === b[i]) i++;
    out.push(`${p.namespace}/${p.name}: …${a.slice(Math.max(0, i - 80), i + 80)}… vs …${b?.slice(Math.max(0, i - 80), i + 80)}…`);
  }
  return out;
}

/** How many cluster views and host routes of `next`'s proxies are the predecessor's very objects. */
export function sharedObjects(previous: MeshGraph, next: MeshGraph): number {
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

/** Every rule's findings on `graph`, one JSON line each (rule, message, resource, file:line:column, TypeScript origin, field), sorted. */
export function findingLines(graph: MeshGraph): string[] {
  return runRules(graph, ALL_RULES).map((f) => JSON.stringify(f));
}

/** The packed mesh, or the error its translation throws. */
export function outcome(translate: () => Map<string, string>): Map<string, string> | string {
  try {
    return translate();
  } catch (e) {
    return `throws: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** {@link BASE} with reviews' DestinationRule hashing on a ring of `minimumRingSize` written as `size` (YAML: `null`, `.inf`, `.nan`, a number). */
export const RING = (size: string) => BASE.replace('outlierDetection: { consecutive5xxErrors: 3 }', `outlierDetection: { consecutive5xxErrors: 3 }\n    loadBalancer: { consistentHash: { httpHeaderName: x-user, ringHash: { minimumRingSize: ${size} } } }`);

/**
 * Reloads `beforeYaml` → `afterYaml` on the previous graph (`reload` options: `positionFree`, and
 * `prepare` to run `prepareCarryOver` on the predecessor as `xds serve` does) and returns the carried
 * outcome, the from-scratch one and the predecessor's, each the packed mesh or the error thrown.
 */
export async function reloadOutcomes(beforeYaml: string, afterYaml: string, reload: { positionFree?: boolean; prepare?: (g: MeshGraph) => void } = {}): Promise<{ old: Map<string, string> | string; carried: Map<string, string> | string; fresh: Map<string, string> | string }> {
  const before = await graphOfYaml(beforeYaml, { carryOver: true });
  const old = outcome(() => packedMesh(before, baseWorkloads()));
  reload.prepare?.(before);
  const after = await graphOfYaml(afterYaml, { previous: before, ...(reload.positionFree ? { positionFree: true } : {}) });
  const carried = outcome(() => packedMesh(after, baseWorkloads()));
  const scratch = await graphOfYaml(afterYaml);
  const fresh = outcome(() => packedMesh(scratch, baseWorkloads(), false));
  return { old, carried, fresh };
}
