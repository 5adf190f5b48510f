/**
 * The harness of `view-base-workloads.test.ts`: a mesh whose objects a view reads from workloads
 * (service accounts, data plane, Service and ServiceEntry selection, gateway pods, every pod
 * workload kind), edits of its pod workloads, and `reloads`, which builds each edit on its
 * predecessor (`GraphOptions.previous`) and compares every proxy's view and xDS resource with a
 * from-scratch graph of the same input.
 */
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { MeshGraph, type GraphOptions } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { prepareCarryOver } from '../../../src/xds/translate/carry-over.js';
import type { WorkloadInstance } from '../../../src/xds/translate/index.js';
import { differences, packedMesh } from './_carry.js';
import { type Doc, FILES, type MeshState, cloneState, workloadsOf } from './_mesh-state.js';
import { BASE, MOVED_BASE } from './_view-base-mesh.js';

export { KIND_DOCS } from './_view-base-mesh.js';

/** Kinds that run pods (`MeshGraph` gives a reload that changes only these, VirtualServices and DestinationRules a view base). */
export const POD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'];

/** A removed document's placeholder kind: rendered as an empty document (`null`). */
const REMOVED = '#removed';

const docsOf = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJS() as Doc).filter((d) => d && typeof d === 'object');

/**
 * Pod workloads in the second file; VirtualServices and DestinationRules last in the first: editing
 * one moves no object of another kind (a moved VirtualService, DestinationRule or Service counts as
 * changed for the hosts it reaches, `graph-carry.ts`, and would recompute the routes and views a
 * workload edit alone must invalidate, hiding what the workload edit itself reaches).
 */
export function place(s: MeshState): MeshState {
  // The gateway pod last: editing it moves no other pod.
  const rank = (p: MeshState['placed'][number]) => (p.doc.kind === REMOVED ? 2 : POD_KINDS.includes(p.doc.kind) ? (p.doc.metadata?.namespace === 'istio-system' ? 3 : 2) : p.doc.kind === 'VirtualService' || p.doc.kind === 'DestinationRule' ? 1 : 0);
  for (const p of s.placed) p.file = rank(p) >= 2 ? 1 : 0;
  s.placed.sort((a, b) => rank(a) - rank(b));
  return s;
}

/**
 * The files' text: pod workloads one flow line each (editing one moves no other object, see
 * {@link place}), the rest in block style.
 */
export function render(s: MeshState): string[] {
  return FILES.map((_, i) => s.placed.filter((p) => p.file === i).map((p) => `${'#\n'.repeat(p.pad)}${p.doc.kind === REMOVED ? 'null # removed\n' : i === 1 ? stringify(p.doc, { collectionStyle: 'flow', lineWidth: 0 }) : stringify(p.doc)}`).join('---\n'));
}

/** The graph of `s` (rendered by {@link render}), loaded through the real loader from `dir`. */
export async function graphOfState(s: MeshState, dir: string, opts: GraphOptions = {}): Promise<MeshGraph> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  render(s).forEach((text, i) => {
    if (text.trim() === '') return;
    writeFileSync(join(dir, FILES[i]!), text);
    names.push(FILES[i]!);
  });
  const loaded = await loadInputs(names, { cwd: dir });
  const unusable = loaded.problems.filter((p) => p.unusable);
  if (unusable.length > 0) throw new Error(`mesh unusable: ${unusable.map((p) => p.message).join('; ')}`);
  return MeshGraph.from(loaded.files, opts);
}

/** The pod template of a pod workload document (the Pod itself for a Pod). */
export function template(d: Doc): Doc {
  if (d.kind === 'Pod') return d;
  if (d.kind === 'CronJob') return (((d.spec ??= {}).jobTemplate ??= {}).spec ??= {}).template ??= {};
  return (d.spec ??= {}).template ??= {};
}

/** One workload instance (an address the runtime reports) per pod workload outside istio-system, with its pod labels. */
export function instancesOf(docs: readonly Doc[]): WorkloadInstance[] {
  return docs.filter((d) => POD_KINDS.includes(d.kind) && d.metadata?.namespace !== 'istio-system').map((d, i) => ({
    name: String(d.metadata.name), namespace: String(d.metadata.namespace), address: `10.3.0.${i + 1}`,
    labels: { ...(template(d).metadata?.labels ?? {}), 'security.istio.io/tlsMode': 'istio' }, ports: {},
  }));
}

/** A mesh state of `docs` (the base mesh, with `extra` documents appended). */
export function stateOf(extra = ''): MeshState {
  const docs = docsOf(BASE + (extra ? `---\n${extra}` : ''));
  return place({ corpus: 'view-base-workloads', placed: docs.map((doc) => ({ doc, file: 0, pad: 0, flow: false })), workloads: instancesOf(docs) });
}

/** An edit of the input: what it does, and the edit itself (on the state's documents, in place). */
export interface Step {
  readonly what: string;
  /** Edits in place; may say what it did (random edits). */
  readonly edit: (s: MeshState) => void | string | null;
}

export const find = (s: MeshState, kind: string, name: string): Doc => {
  const p = s.placed.find((x) => x.doc.kind === kind && x.doc.metadata?.name === name);
  if (!p) throw new Error(`no ${kind} ${name} in the test mesh`);
  return p.doc;
};

/** Pod labels of workload `name` (any pod kind). */
export const podLabels = (s: MeshState, kind: string, name: string): Record<string, string> => ((template(find(s, kind, name)).metadata ??= {}).labels ??= {});
export const podAnnotations = (s: MeshState, kind: string, name: string): Record<string, string> => ((template(find(s, kind, name)).metadata ??= {}).annotations ??= {});
/**
 * Removes pod workload `name`, leaving an empty document in its place: the documents after it keep
 * their index and lines, so no other object moves (see {@link place}).
 */
export function removePod(s: MeshState, kind: string, name: string): void {
  const p = s.placed.find((x) => x.doc.kind === kind && x.doc.metadata?.name === name);
  if (!p) throw new Error(`no ${kind} ${name} in the test mesh`);
  p.doc = { kind: REMOVED };
}

export const podSpec = (s: MeshState, kind: string, name: string): Doc => (template(find(s, kind, name)).spec ??= {});

/** Every proxy's view as JSON, by `<type> <namespace>/<name>`, computed in proxy order or (`reversed`) the other way round. */
export function viewsOf(graph: MeshGraph, reversed = false): Map<string, string> {
  const proxies = proxiesOf(graph);
  const views = new Map((reversed ? [...proxies].reverse() : proxies).map((p) => [`${p.type} ${p.namespace}/${p.name}`, JSON.stringify(buildProxyView(graph, p))]));
  return new Map(proxies.map((p) => [`${p.type} ${p.namespace}/${p.name}`, views.get(`${p.type} ${p.namespace}/${p.name}`)!]));
}

/** Proxies whose view differs between two graphs (or that only one has), with the first difference. */
export function viewDifferences(a: Map<string, string>, b: Map<string, string>): string[] {
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

/**
 * Builds `start`, then applies `steps` one reload at a time, each graph built on its predecessor
 * (whose every view and resource was computed first, so its caches are full). Each reload must get
 * a view base, change some proxy's view or resources, share view objects with its predecessor, and
 * equal, view for view and byte for byte, a from-scratch graph of the same input.
 */
export interface ReloadOptions {
  /** Runs once the reload is built on `graph`, before anything is compared. */
  readonly between?: (graph: MeshGraph, next: MeshGraph) => Promise<void>;
  /** Whether every step must change some view or resource. @default true */
  readonly mustChange?: boolean;
  /** Counts the steps that changed some view or resource. */
  readonly changed?: { n: number };
}

export async function reloads(start: MeshState, steps: readonly Step[], hooks: ReloadOptions = {}): Promise<MeshGraph[]> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-base-'));
  const graphs: MeshGraph[] = [];
  try {
    let state = cloneState(start);
    let graph = await graphOfState(state, join(dir, 'm'), { carryOver: true });
    let views = viewsOf(graph);
    let packed = packedMesh(graph, state.workloads);
    graphs.push(graph);
    const history: string[] = [];
    for (const step of steps) {
      const next = cloneState(state);
      const said = step.edit(next);
      place(next);
      next.workloads = instancesOf(next.placed.map((p) => p.doc));
      history.push(typeof said === 'string' ? `${step.what} ${said}` : step.what);
      prepareCarryOver(graph);
      const reloaded = await graphOfState(next, join(dir, 'm'), { previous: graph });
      const base = reloaded.viewBase();
      assert.ok(base, `${history.join(' → ')}: the reload gets a view base`);
      assert.ok(base.changed.every((o) => [...POD_KINDS, 'VirtualService', 'DestinationRule'].includes(o.kind)), `${history.join(' → ')}: only pod workloads and routing changed`);
      if (!/VirtualService|DestinationRule/.test(step.what)) {
        const routing = base.changed.filter((o) => o.kind === 'VirtualService' || o.kind === 'DestinationRule').length;
        assert.is(routing, 0, `${history.join(' → ')}: a workload edit changes no VirtualService or DestinationRule (so routes are carried unless the edit reaches them)`);
      }
      await hooks.between?.(graph, reloaded);
      const fresh = await graphOfState(next, join(dir, 'm'));
      const freshViews = viewsOf(fresh);
      // The other way round: a view must not depend on which proxy asked first (xds serve makes a
      // node's snapshot when it connects).
      const carriedViews = viewsOf(reloaded, true);
      const stale = viewDifferences(carriedViews, freshViews);
      assert.equal(stale, [], `STALE VIEW after ${history.join(' → ')}`);
      const carried = packedMesh(reloaded, next.workloads);
      const scratch = packedMesh(fresh, next.workloads, false);
      assert.equal(differences(carried, scratch), [], `STALE CONFIG after ${history.join(' → ')}`);
      const changed = viewDifferences(views, freshViews).length > 0 || differences(packed, scratch).length > 0;
      if (hooks.changed && changed) hooks.changed.n++;
      assert.ok(changed || hooks.mustChange === false, `${history.join(' → ')}: the edit changes some proxy's view or resources (else this proves nothing)`);
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

/** Random edits of pod workloads (any kind, the ingress gateway too): what the view reads of them (labels, service account, injection, ambient, host network, gateway, revision, container ports, namespace, kind, removed, added). */
export const POD_EDITS: readonly ((s: MeshState, r: () => number) => string)[] = [
  (s, r) => { const [k, n] = somePod(s, r); const app = pickOf(r, ['reviews', 'details', 'legacy', 'ratings', 'productpage', 'old', 'amb', 'nobody']); podLabels(s, k, n).app = app; return `${k} ${n} app=${app}`; },
  (s, r) => { const [k, n] = somePod(s, r); const v = pickOf(r, ['v1', 'v2', 'v3']); podLabels(s, k, n).version = v; return `${k} ${n} version=${v}`; },
  (s, r) => { const [k, n] = somePod(s, r); const sa = pickOf(r, ['sa-a', 'sa-b', 'default']); podSpec(s, k, n).serviceAccountName = sa; return `${k} ${n} serviceAccountName ${sa}`; },
  (s, r) => { const [k, n] = somePod(s, r); const a = podAnnotations(s, k, n); if (a['sidecar.istio.io/inject']) delete a['sidecar.istio.io/inject']; else a['sidecar.istio.io/inject'] = 'false'; return `${k} ${n} inject annotation ${a['sidecar.istio.io/inject'] ?? '-'}`; },
  (s, r) => { const [k, n] = somePod(s, r); const l = podLabels(s, k, n); const v = pickOf(r, ['true', 'false', undefined]); if (v === undefined) delete l['sidecar.istio.io/inject']; else l['sidecar.istio.io/inject'] = v; return `${k} ${n} inject label ${v ?? '-'}`; },
  (s, r) => { const [k, n] = somePod(s, r); const a = podAnnotations(s, k, n); if (a['ambient.istio.io/redirection']) delete a['ambient.istio.io/redirection']; else a['ambient.istio.io/redirection'] = 'enabled'; return `${k} ${n} ambient ${a['ambient.istio.io/redirection'] ?? '-'}`; },
  (s, r) => { const [k, n] = somePod(s, r); const spec = podSpec(s, k, n); spec.hostNetwork = spec.hostNetwork !== true; return `${k} ${n} hostNetwork ${spec.hostNetwork}`; },
  (s, r) => { const [k, n] = somePod(s, r); const l = podLabels(s, k, n); const v = pickOf(r, ['ambient', 'none', 'canary', undefined]); delete l['istio.io/dataplane-mode']; delete l['istio.io/rev']; if (v === 'canary') l['istio.io/rev'] = v; else if (v !== undefined) l['istio.io/dataplane-mode'] = v; return `${k} ${n} dataplane-mode/rev ${v ?? '-'}`; },
  (s, r) => { const [k, n] = somePod(s, r); const l = podLabels(s, k, n); if (l.istio) delete l.istio; else l.istio = 'ingressgateway'; return `${k} ${n} istio=${l.istio ?? '-'}`; },
  (s, r) => { const [k, n] = somePod(s, r); podSpec(s, k, n).containers = [{ name: 'app', ports: [{ name: pickOf(r, ['http', 'web']), containerPort: pickOf(r, [9080, 9081, 8080]) }] }]; return `${k} ${n} container ports ${JSON.stringify(podSpec(s, k, n).containers[0].ports)}`; },
  (s, r) => { const [k, n] = somePod(s, r); if (s.placed.filter((p) => POD_KINDS.includes(p.doc.kind)).length < 6) return 'nothing removed'; removePod(s, k, n); return `${k} ${n} removed`; },
  (s, r) => { const [k, n] = somePod(s, r); const d = find(s, k, n); const to = pickOf(r, ['shop', 'front', 'legacy', 'amb'].filter((x) => x !== d.metadata.namespace)); d.metadata.namespace = to; return `${k} ${n} moved to namespace ${to}`; },
  (s, r) => { const [k, n] = somePod(s, r); const d = find(s, k, n); if (!['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(k)) return `${k} ${n} kept its kind`; d.kind = pickOf(r, ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].filter((x) => x !== k)); return `${k} ${n} is a ${d.kind} now`; },
  (s, r) => {
    const kind = pickOf(r, POD_KINDS);
    const ns = pickOf(r, ['shop', 'front', 'legacy', 'amb']);
    const name = `added-${Math.floor(r() * 1e6)}`;
    const pod = { metadata: { labels: { app: pickOf(r, ['reviews', 'details', 'legacy', 'ratings', 'productpage', 'old']) } }, spec: { serviceAccountName: name, containers: [{ name: 'app' }] } };
    const doc: Doc = kind === 'Pod' ? { apiVersion: 'v1', kind, metadata: { name, namespace: ns, ...pod.metadata }, spec: pod.spec }
      : kind === 'CronJob' ? { apiVersion: 'batch/v1', kind, metadata: { name, namespace: ns }, spec: { jobTemplate: { spec: { template: pod } } } }
        : { apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, metadata: { name, namespace: ns }, spec: { template: pod } };
    s.placed.push({ doc, file: 1, pad: 0, flow: false });
    return `${kind} ${ns}/${name} added (app=${pod.metadata.labels.app})`;
  },
];

function pickOf<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** A random pod workload (the ingress gateway one time in ten): [kind, name]. */
function somePod(s: MeshState, r: () => number): [string, string] {
  const gateway = r() < 0.1;
  const pods = s.placed.filter((x) => POD_KINDS.includes(x.doc.kind));
  const wanted = pods.filter((x) => (x.doc.metadata.namespace === 'istio-system') === gateway);
  const p = pickOf(r, wanted.length > 0 ? wanted : pods);
  return [p.doc.kind, p.doc.metadata.name];
}


/** The state of `_view-base-mesh.ts` MOVED_BASE, every document in the first file (as a chart's), one workload instance per Deployment. */
export function movedState(): MeshState {
  const docs = docsOf(MOVED_BASE);
  return { corpus: 'moved-base', placed: docs.map((doc) => ({ doc, file: 0, pad: 0, flow: false })), workloads: workloadsOf(docs, 60) };
}
