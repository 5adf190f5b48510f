/**
 * bench/xds translation: the time to build one proxy's xDS snapshot from the mesh, for generated
 * meshes of 100 and 1,000 services (bench/view's mesh, two workload instances per service), split
 * into the per-proxy view (`buildProxyView`, src/mesh/view), the translation (`translateProxy`,
 * src/xds/translate) and the snapshot (`createSnapshot`: pack and hash); then, outside the total, the
 * check `xds serve` runs before it publishes (`checkSnapshot`: references and Envoy's proto
 * constraints; a failing check fails the bench). Three cases, each after the
 * one before, on one graph:
 * - cold: the first sidecar of a fresh graph: nothing cached (no scope, no cluster, no packed bytes);
 * - first of another namespace: the first sidecar of the next namespace: its scope and route
 *   configurations are new, its outbound clusters and load assignments were built (and packed) for
 *   the first namespace (the view shares a ClusterView per DestinationRule and cluster name);
 * - warm: the 2nd to 10th sidecars of the first namespace, median of 9: the Nth sidecar of a
 *   namespace, which gets the scope (istiod's SidecarScope), the clusters, load assignments and
 *   route configurations, and their packed bytes, from the translation cache the first one filled;
 * - cold after a change, without carry-over: the first sidecar of a second fresh graph of the same
 *   mesh with one VirtualService's weights changed, built from scratch (no previous graph), in this
 *   process after the cases above (code optimised, heap grown): what `xds serve` paid before carry-over;
 * - cold after a change, carried over: the same changed mesh built with the measured graph as its
 *   base (`MeshGraph.from(…, { previous, positionFree: true })`, as `xds serve` reloads): the clusters, load assignments
 *   and virtual hosts whose inputs did not change come from the previous graph (`carry-over.ts`);
 * - then, each reload on the one before: a DestinationRule edited, a Deployment edited (both with a
 *   view base: the view shared but for the hosts they reach), a Service edited (a view base: its
 *   host rebuilt, the service index kept but for it), a STRICT PeerAuthentication added to a
 *   namespace (a view base: the policy index rebuilt, the clusters of that namespace's services
 *   rebuilt), a Namespace labelled (a view base: the services of its workloads rebuilt), a namespace
 *   onboarded (a view base: its new host built; a new workloads list with its instance), the
 *   MeshConfig given with a field only per-graph values read (a view base), then a MeshConfig field
 *   shared values read (no view base: the translations found by content), a document inserted mid-file (every later object moved: a view base, the views that
 *   hold the moved objects' positions rebuilt, their translations found by content, `src/mesh/graph-carry.ts`).
 * "cold" follows only a 3-sidecar warm-up, as the first proxy after start-up; its graph keeps its
 * translations for a successor (`carryOver`), as `xds serve`'s first graph does.
 * Each size runs in this process after a warm-up on a separate graph (whose cache entries the
 * measured graph cannot use), so JIT warm-up is not counted as cold.
 *
 *   node --import tsx bench/xds/translate.ts [--runs=<k>]   medians of k fresh processes per size (default 5; run by npm run bench:xds)
 *   node --import tsx bench/xds/translate.ts --once | --one=<n> | --profile[=<dir>] | --all[=<n>]
 * (`--once`: one process, both sizes, the full table; `--one=<n>`: one size, one JSON line.)
 *
 * Target: <= 100 ms for a 1,000-service sidecar snapshot.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MeshGraph } from '../../src/mesh/graph.js';
import type { ManifestObject } from '../../src/mesh/parse.js';
import { buildProxyView, proxiesOf, type ProxyIdentity } from '../../src/mesh/view/index.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { checkSnapshot } from '../../src/xds/snapshot-check.js';
import { type CarryOverCounts, carryOverStoreOf, prepareCarryOver, translateProxy, type WorkloadInstance } from '../../src/xds/translate/index.js';
import { meshOf } from '../view/mesh.js';
import { fmt } from '../lib/measure.js';

/**
 * The mesh as the loader gives it, without reading YAML: each object's `span` (its document's text,
 * which a graph built on a predecessor compares to keep unchanged objects) is its JSON, and each
 * document is 20 lines of one file (document i at line 1 + 20i, every field at its document's line),
 * so a document inserted moves every later one's lines, as in a chart's file.
 */
function manifests(bodies: Record<string, unknown>[]): ManifestObject[] {
  return bodies.map((body, i) => {
    const location = { file: 'bench.yaml', line: 1 + 20 * i, column: 1 };
    return { body, file: 'bench.yaml', docIndex: i, itemIndex: null, location, locate: () => location, source: null, span: JSON.stringify(body) };
  });
}

function workloadsOf(n: number): WorkloadInstance[] {
  const out: WorkloadInstance[] = [];
  for (let i = 0; i < n; i++) {
    for (const v of ['v1', 'v2']) out.push({ name: `svc${i}-${v}`, namespace: `ns${i % 10}`, address: `10.${(i >> 8) & 255}.${i & 255}.${v === 'v1' ? 1 : 2}`, labels: { app: `svc${i}`, version: v }, ports: {} });
  }
  return out;
}

/** One snapshot's phases; `checkMs` (`checkSnapshot`, which `xds serve` runs before it publishes: references and Envoy's proto constraints) is timed after the total, outside it. */
interface Split { viewMs: number; translateMs: number; snapshotMs: number; totalMs: number; cpuMs: number; resources: number; checkMs: number }

function once(graph: MeshGraph, proxy: ReturnType<typeof proxiesOf>[number], workloads: WorkloadInstance[]): Split {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const view = buildProxyView(graph, proxy);
  const t1 = performance.now();
  const set = translateProxy(view, workloads);
  const t2 = performance.now();
  const snap = createSnapshot(set);
  const t3 = performance.now();
  const c = process.cpuUsage(c0);
  const problems = checkSnapshot(snap);
  const checkMs = performance.now() - t3;
  if (problems.length > 0) throw new Error(`bench: the snapshot fails its check:\n${problems.slice(0, 3).map((p) => p.message).join('\n')}`);
  const resources = Object.values(snap.types).reduce((k, t) => k + t.resources.size, 0);
  return { viewMs: t1 - t0, translateMs: t2 - t1, snapshotMs: t3 - t2, totalMs: t3 - t0, cpuMs: (c.user + c.system) / 1000, resources, checkMs };
}

const median = (xs: Split[]): Split => {
  const by = (k: keyof Split) => [...xs].map((x) => x[k]).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { viewMs: by('viewMs'), translateMs: by('translateMs'), snapshotMs: by('snapshotMs'), totalMs: by('totalMs'), cpuMs: by('cpuMs'), resources: by('resources'), checkMs: by('checkMs') };
};

/** The bench mesh with svc1's DestinationRule's outlier detection changed (3 → 4 consecutive 5xx): the view keeps all but svc1's cluster views. */
function ruleChanged(bodies: Record<string, unknown>[]): Record<string, unknown>[] {
  const out = structuredClone(bodies);
  const dr = out.find((b) => b.kind === 'DestinationRule' && (b.metadata as { name: string }).name === 'svc1') as { spec: { trafficPolicy: { outlierDetection: { consecutive5xxErrors: number } } } };
  dr.spec.trafficPolicy.outlierDetection.consecutive5xxErrors = 4;
  return out;
}

/** The bench mesh with svc1's Deployment changed (a container renamed): a view base; svc1's service view, cluster views and routes are made again. */
function deploymentChanged(bodies: Record<string, unknown>[]): Record<string, unknown>[] {
  const out = structuredClone(bodies);
  const d = out.find((b) => b.kind === 'Deployment' && (b.metadata as { name: string }).name === 'svc1') as { spec: { template: { spec: { containers: { name: string }[] } } } };
  d.spec.template.spec.containers[0]!.name = 'app2';
  return out;
}

/** The bench mesh with svc2's Service labelled: a view base (the service index rebuilt with the other services kept), svc2's host rebuilt. */
function serviceChanged(bodies: Record<string, unknown>[]): Record<string, unknown>[] {
  const out = structuredClone(bodies);
  const s = out.find((b) => b.kind === 'Service' && (b.metadata as { name: string }).name === 'svc2') as { metadata: { labels?: Record<string, string> } };
  s.metadata.labels = { ...(s.metadata.labels ?? {}), team: 'blue' };
  return out;
}

/**
 * The bench mesh with a namespace-wide STRICT PeerAuthentication added to ns3 (last, so nothing
 * moves): a view base with a new policy index; ns3's mode changed (PERMISSIVE → STRICT), so the
 * cluster views and policies of ns3's services are made again (`view/carry.ts`), the rest shared.
 */
function policyAdded(bodies: Record<string, unknown>[]): Record<string, unknown>[] {
  return [...structuredClone(bodies), { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'ns3' }, spec: { mtls: { mode: 'STRICT' } } }];
}

/**
 * The bench mesh with ns5's Namespace labelled (`team: payments`; nothing moves): a view base; its
 * labels may change its workloads' data plane, so the services selecting them (ns5's) are rebuilt.
 */
function namespaceLabelled(bodies: Record<string, unknown>[]): Record<string, unknown>[] {
  const out = structuredClone(bodies);
  const ns = out.find((b) => b.kind === 'Namespace' && (b.metadata as { name: string }).name === 'ns5') as { metadata: { labels?: Record<string, string> } };
  ns.metadata.labels = { ...ns.metadata.labels, team: 'payments' };
  return out;
}

/**
 * The bench mesh with a namespace onboarded (appended, so nothing moves): its Namespace, a Service,
 * a Deployment, a DestinationRule with a subset and a VirtualService; a view base (the namespace set
 * changed, its objects are changed objects), the new host built, the rest shared. The workloads
 * list gets the new Deployment's instance (a new list, as `xds serve` reads a changed workloads file).
 */
function namespaceOnboarded(bodies: Record<string, unknown>[]): Record<string, unknown>[] {
  const ns = 'team-new';
  return [...structuredClone(bodies),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'istio-injection': 'enabled' } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: ns }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: ns }, spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api', version: 'v1' } }, spec: { containers: [{ name: 'app' }] } } } },
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'api', namespace: ns }, spec: { host: 'api', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'api', namespace: ns }, spec: { hosts: ['api'], http: [{ route: [{ destination: { host: 'api', subset: 'v1' } }] }] } }];
}

/**
 * The bench mesh with the MeshConfig given in the root namespace's `istio` ConfigMap (added last, so
 * nothing moves; a protocol detection timeout, which only per-graph values read: each workload's
 * inbound listener, `PER_GRAPH_MESH_CONFIG_FIELDS`): a view base; inbound listeners change.
 */
function meshConfigGiven(bodies: Record<string, unknown>[]): Record<string, unknown>[] {
  return [...structuredClone(bodies), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'protocolDetectionTimeout: 5s\n' } }];
}

/**
 * The bench mesh after {@link meshConfigGiven} with a MeshConfig field that values shared between
 * graphs read (`ingressSelector`: memberships; no pod of this mesh is an ingress gateway): no view
 * base, the view made again and the translations found by content (`carry-over.ts`); the output is unchanged.
 */
function meshConfigSharedField(bodies: Record<string, unknown>[]): Record<string, unknown>[] {
  const out = structuredClone(bodies);
  const cm = out.find((b) => b.kind === 'ConfigMap' && (b.metadata as { name: string }).name === 'istio') as { data: { mesh: string } };
  cm.data.mesh += 'ingressSelector: edge\n';
  return out;
}

/**
 * The bench mesh with a Deployment (`batch`, selected by no Service) inserted before the middle
 * service's Service: every later document moves (document index + 1), as in a cdk8s chart's one
 * file; moved VirtualServices and DestinationRules count as changed, moved Services get new
 * service views, the rest only moved (`graph-carry.ts`): a view base.
 */
function documentInserted(bodies: Record<string, unknown>[]): Record<string, unknown>[] {
  const out = structuredClone(bodies);
  const at = out.findIndex((b) => b.kind === 'Service' && (b.metadata as { name: string }).name === `svc${Math.floor((out.filter((x) => x.kind === 'Service').length) / 2)}`);
  out.splice(at, 0, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'batch', namespace: 'ns0' }, spec: { template: { metadata: { labels: { app: 'batch' } }, spec: { containers: [{ name: 'app' }] } } } });
  return out;
}

/** The bench mesh with one VirtualService's split changed (90/10 → 60/40): the input change the carry-over case measures. */
function changedMesh(bodies: Record<string, unknown>[]): Record<string, unknown>[] {
  const out = structuredClone(bodies);
  const vs = out.find((b) => b.kind === 'VirtualService' && (b.metadata as { name: string }).name === 'svc1') as { spec: { http: { route: { weight?: number }[] }[] } };
  const split = vs.spec.http[1]!.route;
  split[0]!.weight = 60;
  split[1]!.weight = 40;
  return out;
}

export function measureTranslation(n: number): { n: number; cold: Split; otherNamespace: Split; warm: Split; changed: Split; carried: Split; ruleCarried: Split; deploymentCarried: Split; serviceCarried: Split; policyCarried: Split; namespaceCarried: Split; onboardedCarried: Split; onboardedViewBase: boolean; meshConfigCarried: Split; meshConfigViewBase: boolean; meshConfigSharedCarried: Split; insertedCarried: Split; inserted: { viewBase: boolean; moved: number }; keyMs: number; reused: CarryOverCounts } {
  const bodies = meshOf(n);
  const workloads = workloadsOf(n);
  const warmup = MeshGraph.from(manifests(bodies), { carryOver: true });
  for (const p of proxiesOf(warmup).filter((p) => p.type === 'sidecar').slice(0, 3)) once(warmup, p, workloads);
  const graph = MeshGraph.from(manifests(bodies), { carryOver: true });
  const sidecars = proxiesOf(graph).filter((p) => p.type === 'sidecar' && p.namespace === 'ns0');
  const cold = once(graph, sidecars[0]!, workloads);
  const otherNamespace = once(graph, proxiesOf(graph).find((p) => p.type === 'sidecar' && p.namespace === 'ns1')!, workloads);
  const warm = median(sidecars.slice(1, 10).map((p) => once(graph, p, workloads)));
  const edited = changedMesh(bodies);
  // Before carry-over: a fresh graph (nothing cached for it) in a process whose code has run the whole translation once.
  const fresh = MeshGraph.from(manifests(edited));
  const changed = once(fresh, proxiesOf(fresh).find((p) => p.type === 'sidecar' && p.namespace === 'ns0')!, workloads);
  // As `xds serve` reloads: the previous graph's entries keyed while it waited (prepareCarryOver after
  // publishing, timed apart), the new graph on it, the workloads list kept (serve keeps an unchanged one).
  const k0 = performance.now();
  prepareCarryOver(graph);
  const keyMs = performance.now() - k0;
  const next = MeshGraph.from(manifests(edited), { previous: graph, positionFree: true });
  const carried = once(next, proxiesOf(next).find((p) => p.type === 'sidecar' && p.namespace === 'ns0')!, workloads);
  const reused = carryOverStoreOf(next)!.counts;
  // Four more reloads, each on the one before: a DestinationRule edit (view base, one rule's
  // clusters rebuilt), a Deployment edit (view base, its service's views rebuilt), a Service edit
  // (view base, its host rebuilt), a PeerAuthentication added (view base, its namespace's clusters
  // rebuilt), a Namespace labelled (view base, its workloads' services rebuilt), then the MeshConfig
  // given (no view base: the content carry-over alone).
  const onPrevious = (previous: MeshGraph, edited: Record<string, unknown>[], before = workloads, after = workloads): [MeshGraph, Split] => {
    for (const p of proxiesOf(previous).filter((x) => x.type === 'sidecar').slice(0, 10)) once(previous, p, before);
    prepareCarryOver(previous);
    const g = MeshGraph.from(manifests(edited), { previous, positionFree: true });
    return [g, once(g, proxiesOf(g).find((p) => p.type === 'sidecar' && p.namespace === 'ns0')!, after)];
  };
  const [ruleGraph, ruleCarried] = onPrevious(next, ruleChanged(edited));
  const [deploymentGraph, deploymentCarried] = onPrevious(ruleGraph, deploymentChanged(ruleChanged(edited)));
  const serviceEdited = serviceChanged(deploymentChanged(ruleChanged(edited)));
  const [serviceGraph, serviceCarried] = onPrevious(deploymentGraph, serviceEdited);
  const policyEdited = policyAdded(serviceEdited);
  const [policyGraph, policyCarried] = onPrevious(serviceGraph, policyEdited);
  const namespaceEdited = namespaceLabelled(policyEdited);
  const [namespaceGraph, namespaceCarried] = onPrevious(policyGraph, namespaceEdited);
  const onboardedEdited = namespaceOnboarded(namespaceEdited);
  const onboardedWorkloads = [...workloads, { name: 'api-v1', namespace: 'team-new', address: '10.250.0.1', labels: { app: 'api', version: 'v1' }, ports: {} }];
  const [onboardedGraph, onboardedCarried] = onPrevious(namespaceGraph, onboardedEdited, workloads, onboardedWorkloads);
  const meshConfigEdited = meshConfigGiven(onboardedEdited);
  const [meshConfigFirstGraph, meshConfigCarried] = onPrevious(onboardedGraph, meshConfigEdited, onboardedWorkloads, onboardedWorkloads);
  const meshConfigSharedEdited = meshConfigSharedField(meshConfigEdited);
  const [meshConfigGraph, meshConfigSharedCarried] = onPrevious(meshConfigFirstGraph, meshConfigSharedEdited, onboardedWorkloads, onboardedWorkloads);
  if (meshConfigGraph.viewBase() !== undefined) throw new Error('bench: a MeshConfig field shared values read kept the view base');
  // Then a document inserted mid-file: half the objects moved (view base kept, `graph-carry.ts`).
  const [insertedGraph, insertedCarried] = onPrevious(meshConfigGraph, documentInserted(meshConfigSharedEdited), onboardedWorkloads, onboardedWorkloads);
  const inserted = { viewBase: insertedGraph.viewBase() !== undefined, moved: insertedGraph.carried!.moved / 2 };
  return { n, cold, otherNamespace, warm, changed, carried, ruleCarried, deploymentCarried, serviceCarried, policyCarried, namespaceCarried, onboardedCarried, onboardedViewBase: onboardedGraph.viewBase() !== undefined, meshConfigCarried, meshConfigViewBase: meshConfigFirstGraph.viewBase() !== undefined, meshConfigSharedCarried, insertedCarried, inserted, keyMs, reused };
}

export function printTranslation(rows: ReturnType<typeof measureTranslation>[]): void {
  console.log('| services | snapshot | view (ms) | translate (ms) | snapshot pack+hash (ms) | total wall (ms) | total CPU (ms) | resources | then checkSnapshot (ms) |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    for (const [label, s] of rowsOf(r)) {
      console.log(`| ${fmt(r.n)} | ${label} | ${fmt(s.viewMs, 1)} | ${fmt(s.translateMs, 1)} | ${fmt(s.snapshotMs, 1)} | ${fmt(s.totalMs, 1)} | ${fmt(s.cpuMs, 1)} | ${fmt(s.resources)} | ${fmt(s.checkMs, 1)} |`);
    }
  }
  const big = rows.find((r) => r.n === 1000);
  console.log('\ncold: first sidecar of a fresh graph, nothing cached; first of another namespace: outbound clusters and load assignments');
  console.log('come from the translation cache, scope and route configurations are new; warm: the Nth sidecar of a namespace, with the');
  console.log('scope, clusters, load assignments, route configurations and their packed bytes cached by the first; cold after a change');
  console.log('(one VirtualService\'s weights changed): the first sidecar of the changed mesh\'s graph, built from scratch, or on the');
  console.log('previous graph as `xds serve` reloads: only a VirtualService changed, so the view is shared with the previous graph');
  console.log('(MeshGraph.viewBase) but for that host, and so are its translations; then a DestinationRule edited (view shared but for');
  console.log('that rule\'s host), then a Deployment edited (view shared but for the host of the service selecting it), then a');
  console.log('Service edited (view shared but for its host), then a STRICT PeerAuthentication added to ns3 (view shared but for ns3\'s');
  console.log('services), then ns5\'s Namespace labelled (view shared but for its services), then a namespace onboarded (view shared but for its');
  console.log('new host; a new workloads list), then the MeshConfig given (a protocol detection timeout, which only per-graph values read: a view base),');
  console.log('then a MeshConfig field shared values read (ingressSelector: no view base, translations');
  console.log('found by content, carry-over.ts), then a Deployment inserted before the middle');
  console.log('service\'s Service (every later object moved 20 lines: the views of moved VirtualServices, DestinationRules and');
  console.log('Services made again at their new lines, their translations found by content, the rest of the view shared: graph-carry.ts).');
  for (const r of rows) {
    const { built, reused, kept } = r.reused;
    const line = (k: keyof typeof built) => `${fmt(kept[k])} shared with the view / ${fmt(reused[k])} found by content / ${fmt(built[k])} built`;
    console.log(`${fmt(r.n)} services, carried over: clusters ${line('clusters')}; load assignments ${line('endpoints')}; virtual hosts ${line('virtualHosts')}; keying the previous graph's entries (prepareCarryOver, while xds serve waits for a change) ${fmt(r.keyMs, 1)} ms`);
  }
  const met = (s: Split) => (s.totalMs <= 100 ? 'MET' : 'NOT MET');
  if (big) console.log(`1,000-service sidecar snapshot (target <= 100 ms): cold ${fmt(big.cold.totalMs)} ms ${met(big.cold)}, first of another namespace ${fmt(big.otherNamespace.totalMs)} ms ${met(big.otherNamespace)}, warm ${fmt(big.warm.totalMs)} ms ${met(big.warm)}, cold after a change without carry-over ${fmt(big.changed.totalMs)} ms ${met(big.changed)}, carried over: VirtualService ${fmt(big.carried.totalMs)} ms ${met(big.carried)}, DestinationRule ${fmt(big.ruleCarried.totalMs)} ms ${met(big.ruleCarried)}, Deployment ${fmt(big.deploymentCarried.totalMs)} ms ${met(big.deploymentCarried)}, Service ${fmt(big.serviceCarried.totalMs)} ms ${met(big.serviceCarried)}, PeerAuthentication ${fmt(big.policyCarried.totalMs)} ms ${met(big.policyCarried)}, Namespace ${fmt(big.namespaceCarried.totalMs)} ms ${met(big.namespaceCarried)}, namespace onboarded ${fmt(big.onboardedCarried.totalMs)} ms ${met(big.onboardedCarried)}, MeshConfig (per-graph field) ${fmt(big.meshConfigCarried.totalMs)} ms ${met(big.meshConfigCarried)}, MeshConfig (shared field) ${fmt(big.meshConfigSharedCarried.totalMs)} ms ${met(big.meshConfigSharedCarried)}, document inserted mid-file ${fmt(big.insertedCarried.totalMs)} ms ${met(big.insertedCarried)}`);
}

/**
 * `--profile`: V8 CPU profiles of the measured 1,000-service snapshots alone (cold, first of another
 * namespace, warm, cold after a change carried over, then a document inserted mid-file, then a DestinationRule edited; not the mesh generation, graph building or
 * warm-up), written to `<dir>/bench-xds-translate-{cold,other-namespace,warm,carried,inserted,rule-edited}.cpuprofile` (`--profile=<dir>`, default the OS temp
 * directory), with the 25 functions of most self time printed.
 */
function profile(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const bodies = meshOf(1000);
  const workloads = workloadsOf(1000);
  const warmup = MeshGraph.from(manifests(bodies));
  for (const p of proxiesOf(warmup).filter((p) => p.type === 'sidecar').slice(0, 3)) once(warmup, p, workloads);
  const graph = MeshGraph.from(manifests(bodies), { carryOver: true });
  const sidecars = proxiesOf(graph).filter((p) => p.type === 'sidecar' && p.namespace === 'ns0');
  const session = new Session();
  session.connect();
  const post = <T>(method: string): T => {
    let out: T | undefined;
    session.post(method, (err, res) => { if (err) throw err; out = res as T; });
    return out!;
  };
  post('Profiler.enable');
  const other = proxiesOf(graph).find((p) => p.type === 'sidecar' && p.namespace === 'ns1')!;
  // The carried case after the others, on the graph they filled, keyed first (as xds serve does while idle).
  const carriedCase = (): [MeshGraph, ProxyIdentity] => {
    prepareCarryOver(graph);
    const next = MeshGraph.from(manifests(changedMesh(bodies)), { previous: graph, positionFree: true });
    return [next, proxiesOf(next).find((p) => p.type === 'sidecar' && p.namespace === 'ns0')!];
  };
  // Then a document inserted mid-file, on the carried graph once its first 10 sidecars are translated and it is keyed.
  let carriedGraph: MeshGraph | undefined;
  const insertedCase = (): [MeshGraph, ProxyIdentity] => {
    for (const p of proxiesOf(carriedGraph!).filter((x) => x.type === 'sidecar').slice(0, 10)) once(carriedGraph!, p, workloads);
    prepareCarryOver(carriedGraph!);
    const next = MeshGraph.from(manifests(documentInserted(changedMesh(bodies))), { previous: carriedGraph!, positionFree: true });
    return [next, proxiesOf(next).find((p) => p.type === 'sidecar' && p.namespace === 'ns0')!];
  };
  // Then a DestinationRule edited, on the inserted graph once its first 10 sidecars are translated and it is keyed.
  let insertedGraph: MeshGraph | undefined;
  const ruleCase = (): [MeshGraph, ProxyIdentity] => {
    for (const p of proxiesOf(insertedGraph!).filter((x) => x.type === 'sidecar').slice(0, 10)) once(insertedGraph!, p, workloads);
    prepareCarryOver(insertedGraph!);
    const next = MeshGraph.from(manifests(ruleChanged(documentInserted(changedMesh(bodies)))), { previous: insertedGraph!, positionFree: true });
    return [next, proxiesOf(next).find((p) => p.type === 'sidecar' && p.namespace === 'ns0')!];
  };
  const cases: [string, () => [MeshGraph, ProxyIdentity]][] = [['cold', () => [graph, sidecars[0]!]], ['other-namespace', () => [graph, other]], ['warm', () => [graph, sidecars[1]!]], ['carried', () => { const c = carriedCase(); carriedGraph = c[0]; return c; }], ['inserted', () => { const c = insertedCase(); insertedGraph = c[0]; return c; }], ['rule-edited', ruleCase]];
  for (const [label, make] of cases) {
    const [g, proxy] = make();
    post('Profiler.start');
    const split = once(g, proxy, workloads);
    const { profile: prof } = post<{ profile: CpuProfile }>('Profiler.stop');
    const file = join(dir, `bench-xds-translate-${label}.cpuprofile`);
    writeFileSync(file, JSON.stringify(prof));
    console.log(`\n${label}: ${fmt(split.totalMs, 1)} ms wall → ${file}; self time by function:`);
    for (const [fn, ms] of selfTimes(prof).slice(0, 25)) console.log(`${fmt(ms, 1).padStart(8)} ms  ${fn}`);
  }
  session.disconnect();
}

interface CpuProfile { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] }

function selfTimes(p: CpuProfile): [string, number][] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]);
}

/**
 * `--all[=<n>]`: the snapshots of every proxy of an n-service mesh (default 1,000), one after the
 * other as `xds serve` publishes them, on a fresh graph after a warm-up; then, as a reload after one
 * VirtualService's weights changed, every proxy again: on a fresh graph (before carry-over) and on a
 * graph built on the first one (carried over, after `prepareCarryOver`, timed apart). Total wall and
 * CPU, and the mean per proxy, for each.
 */
function wholeMesh(n: number): void {
  const bodies = meshOf(n);
  const workloads = workloadsOf(n);
  const warmup = MeshGraph.from(manifests(bodies));
  for (const p of proxiesOf(warmup).filter((p) => p.type === 'sidecar').slice(0, 3)) once(warmup, p, workloads);
  const all = (label: string, graph: MeshGraph, list: readonly WorkloadInstance[]): void => {
    const proxies = proxiesOf(graph);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const p of proxies) createSnapshot(translateProxy(buildProxyView(graph, p), list));
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000;
    console.log(`${label}: every proxy of a ${fmt(n)}-service mesh (${fmt(proxies.length)} proxies, 10 namespaces): wall ${fmt(wall)} ms, CPU ${fmt(cpu)} ms; per proxy: wall ${fmt(wall / proxies.length, 1)} ms, CPU ${fmt(cpu / proxies.length, 1)} ms`);
  };
  const graph = MeshGraph.from(manifests(bodies), { carryOver: true });
  all('fresh graph', graph, workloads);
  const edited = changedMesh(bodies);
  all('after a change, without carry-over (fresh graph)', MeshGraph.from(manifests(edited)), workloadsOf(n));
  const k0 = performance.now();
  prepareCarryOver(graph);
  console.log(`keying the first graph's entries (prepareCarryOver, while xds serve waits for a change): ${fmt(performance.now() - k0)} ms`);
  all('after a change, carried over (graph on the first one)', MeshGraph.from(manifests(edited), { previous: graph, positionFree: true }), workloads);
}

type Measured = ReturnType<typeof measureTranslation>;

/** The rows of the table, by label, from one measurement (the order printed). */
function rowsOf(r: Measured): [string, Split][] {
  return [['cold', r.cold], ['first of another namespace', r.otherNamespace], ['warm: Nth of the namespace (median of 9)', r.warm], ['cold after a change, without carry-over (fresh graph)', r.changed], ['cold after a change, carried over (graph on the previous one)', r.carried], ['then a DestinationRule edited, carried over', r.ruleCarried], ['then a Deployment edited, carried over', r.deploymentCarried], ['then a Service edited, carried over (view shared but for its host)', r.serviceCarried], ['then a STRICT PeerAuthentication added to a namespace, carried over (view shared but for its services)', r.policyCarried], ['then a Namespace labelled, carried over (view shared but for its workloads\' services)', r.namespaceCarried], [`then a namespace onboarded (Namespace, Service, Deployment and its workload, DestinationRule, VirtualService), carried over (view base ${r.onboardedViewBase ? 'kept' : 'LOST'})`, r.onboardedCarried], [`then the MeshConfig given, a field only per-graph values read (protocol detection timeout), carried over (view base ${r.meshConfigViewBase ? 'kept' : 'LOST'})`, r.meshConfigCarried], ['then a MeshConfig field shared values read edited (ingressSelector), carried over (no view base: found by content)', r.meshConfigSharedCarried], [`then a document inserted mid-file (objects after it moved: ${fmt(r.inserted.moved)}; view base ${r.inserted.viewBase ? 'kept' : 'LOST'})`, r.insertedCarried]];
}

/**
 * `--runs=<k>` (default 5): each size measured in k fresh processes (`--one=<n>`, one JSON line
 * each), so no run inherits another's heap, JIT state or garbage; prints per row the median total
 * wall time with its range, the median of each phase, and the ratio of the median to the baseline
 * row measured in the same processes: *cold after a change, without carry-over* (a fresh graph of
 * the same mesh in a process that has translated it once: what every reload cost before carry-over).
 */
function runs(sizes: readonly number[], k: number): void {
  const script = fileURLToPath(import.meta.url);
  const bySize = sizes.map((n) => {
    const all: Measured[] = [];
    for (let i = 0; i < k; i++) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', script, `--one=${n}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      if (child.status !== 0) throw new Error(`bench/xds/translate.ts --one=${n} failed (${child.status}):\n${child.stderr}`);
      all.push(JSON.parse(child.stdout.trim().split('\n').pop()!) as Measured);
    }
    return all;
  });
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`Medians of ${k} fresh processes per size (range of the total in brackets); ratio: the row's median total over the baseline's, *cold after a change, without carry-over (fresh graph)*.\n`);
  console.log('| services | snapshot | view (ms) | translate (ms) | pack + hash (ms) | total wall (ms) [range] | total CPU (ms) | vs baseline | resources | then checkSnapshot (ms) |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const summary: string[] = [];
  for (const all of bySize) {
    const n = all[0]!.n;
    const tables = all.map(rowsOf);
    const baseline = mid(all.map((r) => r.changed.totalMs));
    tables[0]!.forEach(([label], row) => {
      const splits = tables.map((t) => t[row]![1]);
      const total = splits.map((s) => s.totalMs);
      const m = mid(total);
      console.log(`| ${fmt(n)} | ${label} | ${fmt(mid(splits.map((s) => s.viewMs)), 1)} | ${fmt(mid(splits.map((s) => s.translateMs)), 1)} | ${fmt(mid(splits.map((s) => s.snapshotMs)), 1)} | ${fmt(m, 1)} [${fmt(Math.min(...total))}–${fmt(Math.max(...total))}] | ${fmt(mid(splits.map((s) => s.cpuMs)), 1)} | ${(m / baseline).toFixed(2)} | ${fmt(splits[0]!.resources)} | ${fmt(mid(splits.map((s) => s.checkMs)), 1)} |`);
      if (n === 1000) summary.push(`${label.replace(/ \(.*$/, '')}: ${fmt(m)} ms ${m <= 100 ? 'MET' : 'NOT MET'}`);
    });
  }
  if (summary.length) console.log(`\n1,000-service sidecar snapshot, medians (target <= 100 ms): ${summary.join('; ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const value = (a: string) => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : undefined);
  const all = arg('all');
  const one = arg('one');
  const flag = arg('profile');
  const once1 = arg('once');
  if (all) wholeMesh(Number(value(all) ?? 1000));
  else if (one) console.log(JSON.stringify(measureTranslation(Number(value(one)))));
  else if (flag) profile(value(flag) ?? tmpdir());
  else if (once1) printTranslation([measureTranslation(100), measureTranslation(1000)]);
  else {
    const k = Number(value(arg('runs') ?? '--runs=5'));
    if (!Number.isInteger(k) || k < 1) throw new Error(`--runs=${k}: expected a whole number of runs >= 1`);
    runs([100, 1000], k);
  }
}
