import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MeshGraph } from '../../../src/mesh/graph.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { carryOverStoreOf, prepareCarryOver, releaseCarryOver } from '../../../src/xds/translate/carry-over.js';
import { seeded } from '../../_random.js';
import { differences, findingLines, packedMesh, sharedObjects, viewDifferences } from './_carry.js';
import { type MeshState, cloneState, compareReload, corpora, graphOf } from './_mesh-state.js';
import { MUTATIONS, type Mutation } from './_mutations.js';

/**
 * Differential test of the view carried over when only VirtualServices, DestinationRules, Services,
 * ServiceEntries, pod workloads and kinds no shared view object reads change (`MeshGraph.viewBase`, `src/mesh/view/carry.ts`): the graph shares its
 * predecessor's indexes, and the cluster views, service views and routes no changed object
 * reaches. Every corpus with the edited kinds in a file of their own (so that editing one moves
 * no other kind's lines), chains of edits of those kinds only (hosts, matches, destinations,
 * weights, delegates, exportTo, subsets, traffic policies, pod labels, injection, service
 * accounts, added, removed, …), each reload compared byte for byte, every proxy, with a
 * from-scratch translation. Seeded: MESHPROOF_CARRY_SEED.
 */
const SEED = Number(process.env.MESHPROOF_CARRY_SEED ?? 20261130);
const CHAINS = Number(process.env.MESHPROOF_VIEW_CARRY_CHAINS ?? 24);
const ROUTE_EDITS = MUTATIONS.filter((m) => m.name.startsWith('VirtualService') || m.name.startsWith('DestinationRule'));

/** VirtualServices and DestinationRules in the second file, everything else in the first. */
/**
 * A placer putting the objects `second` picks in the second file and everything else in the first,
 * so that editing them moves no other kind's lines.
 */
function apart(second: (doc: MeshState['placed'][number]['doc']) => boolean): (s: MeshState) => MeshState {
  return (s) => {
    for (const p of s.placed) p.file = second(p.doc) ? 1 : 0;
    return s;
  };
}

/** Kinds in the second file (see {@link apart}). */
const kindsApart = (...kinds: string[]) => apart((doc) => kinds.includes(doc.kind));

const routesApart = kindsApart('VirtualService', 'DestinationRule');

/** Edits of pod workloads beyond `_mutations.ts`'s (labels, injection, service account, added). */
const POD_EDITS: Mutation[] = [
  ...MUTATIONS.filter((m) => m.name.startsWith('Deployment')),
  { name: 'Deployment container image', apply: (s, r) => {
    const ds = s.placed.filter((x) => x.doc.kind === 'Deployment' && Array.isArray(x.doc.spec?.template?.spec?.containers) && x.doc.spec.template.spec.containers.length > 0);
    if (ds.length === 0) return null;
    const d = ds[Math.floor(r() * ds.length)]!.doc;
    const c = d.spec.template.spec.containers[0];
    c.image = `registry.example/${String(c.name ?? 'app')}:${1 + Math.floor(r() * 99)}`;
    return `Deployment ${d.metadata.namespace}/${d.metadata.name}: image ${c.image}`;
  } },
  { name: 'Deployment removed', apply: (s, r) => {
    const ds = s.placed.filter((x) => x.doc.kind === 'Deployment' && x.doc.metadata?.namespace !== 'istio-system');
    if (ds.length === 0) return null;
    const p = ds[Math.floor(r() * ds.length)]!;
    s.placed.splice(s.placed.indexOf(p), 1);
    return `Deployment ${p.doc.metadata.namespace}/${p.doc.metadata.name} removed`;
  } },
  { name: 'Deployment turned gateway', apply: (s, r) => {
    const ds = s.placed.filter((x) => x.doc.kind === 'Deployment' && x.doc.metadata?.namespace !== 'istio-system');
    if (ds.length === 0) return null;
    const d = ds[Math.floor(r() * ds.length)]!.doc;
    const tpl = ((d.spec ??= {}).template ??= {});
    ((tpl.metadata ??= {}).annotations ??= {})['inject.istio.io/templates'] = 'gateway';
    return `Deployment ${d.metadata.namespace}/${d.metadata.name}: gateway injection template`;
  } },
];

/** VirtualServices, DestinationRules and pod workloads in the second file (editing one moves no other kind's lines), everything else in the first. */
const podsAndRoutesApart = kindsApart('VirtualService', 'DestinationRule', 'Deployment', 'StatefulSet', 'DaemonSet', 'Pod');

/**
 * Seeded chains of `edits` over every corpus (placed by `place`), each reload built on its
 * predecessor and compared, view and bytes, every proxy, with a from-scratch graph of the same input.
 */
async function chains(edits: readonly Mutation[], place: (s: MeshState) => MeshState, label: string, seed: number, count = CHAINS): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-carry-'));
  const r = seeded(seed);
  const bases = corpora().map((c) => place(cloneState(c)));
  let steps = 0;
  let changed = 0;
  let based = 0;
  let expected = 0;
  let shared = 0;
  const tally = new Map(edits.map((m) => [m.name, 0]));
  // Round robin over the edits, moving on once one has run (a corpus may have nothing it can edit).
  let next = 0;
  try {
    for (let chain = 0; chain < count; chain++) {
      const start = cloneState(bases[chain % bases.length]!);
      let graph = await graphOf(start, join(dir, 'm'), { carryOver: true });
      let packed = packedMesh(graph, start.workloads);
      let state = start;
      const history = [`chain ${chain} on ${start.corpus}`];
      for (let step = 0; step < 3; step++) {
        const candidate = cloneState(state);
        const m = edits[next % edits.length]!;
        const what = m.apply(candidate, r);
        if (what === null) continue;
        next++;
        place(candidate);
        history.push(`  step ${step}: [${m.name}] ${what}`);
        const compared = await compareReload(graph, candidate, join(dir, 'm'), `(seed ${seed}) ${history.join('\n')}`, `MESHPROOF_CARRY_SEED=${seed} node --import tsx node_modules/uvu/bin.js test view-carry-diff`);
        if (!compared) continue;
        const { reloaded, fresh, carried, scratch } = compared;
        // An object defined twice (an added Deployment named as an existing one) reaches every
        // proxy: no view base then. (A namespace appearing or going keeps it: its objects are changed objects.)
        const explained = fresh.duplicates.length > 0 || graph.duplicates.length > 0;
        if (reloaded.viewBase()) based++;
        else if (!explained) assert.unreachable(`NO VIEW BASE (seed ${seed}) ${history.join('\n')}`);
        else expected--;
        shared += sharedObjects(graph, reloaded);
        if (differences(packed, scratch).length > 0) changed++;
        tally.set(m.name, tally.get(m.name)! + 1);
        steps++;
        expected++;
        releaseCarryOver(reloaded);
        prepareCarryOver(reloaded);
        graph = reloaded;
        packed = carried;
        state = candidate;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`view-carry-diff (${label}): seed ${seed}, ${count} chains, ${steps} reloads (${changed} changed the output, ${based} on a view base), ${shared} view objects shared; edits ${JSON.stringify(Object.fromEntries(tally))}`);
  assert.ok(based === expected && expected > steps * 0.8, `every reload that edits only ${label} (and keeps the namespaces) gets a view base: ${based}/${expected} of ${steps}`);
  assert.ok(shared > steps * 5, `reloads share view objects with their predecessor (else this compares a from-scratch view with itself): ${shared} in ${steps} reloads`);
  assert.ok(changed > steps / 3, `many reloads change the output (else the test proves little): ${changed}/${steps}`);
  assert.equal([...tally].filter(([, n]) => n === 0).map(([name]) => name), [], 'every edit ran at least once');
}

test('GIVEN every corpus and seeded chains of VirtualService and DestinationRule edits WHEN each reloads on its predecessor THEN the view shares the predecessor\'s objects AND every proxy\'s every resource is byte-equal to a from-scratch translation', async () => {
  await chains(ROUTE_EDITS, routesApart, 'VirtualServices and DestinationRules', SEED);
});

test('GIVEN every corpus and seeded chains of Deployment edits (labels, injection, service account, image, added, removed, turned gateway) mixed with VirtualService and DestinationRule edits WHEN each reloads on its predecessor THEN the view shares the predecessor\'s objects AND every proxy\'s every resource and view equals a from-scratch one', async () => {
  // Each workload edit twice, and every fourth routing edit: the workload edits are the subject.
  const edits = [...POD_EDITS, ...ROUTE_EDITS.filter((_, i) => i % 4 === 0), ...POD_EDITS];
  await chains(edits, podsAndRoutesApart, 'VirtualServices, DestinationRules and Deployments', SEED + 1);
});

/** Edits of Services and ServiceEntries (ports, names, protocols, selectors, exportTo, hosts, resolution, endpoints, location, added, removed); not those that add WorkloadEntries. */
const SERVICE_EDITS = MUTATIONS.filter((m) => (m.name.startsWith('Service ') || m.name.startsWith('ServiceEntry ')) && !m.name.includes('WorkloadEntry'));

/** Services and ServiceEntries in the second file (editing one moves no other kind's lines), everything else in the first. */
const servicesApart = kindsApart('Service', 'ServiceEntry');

test('GIVEN every corpus and seeded chains of Service and ServiceEntry edits (ports, protocols, selectors, exportTo, hosts, resolution, endpoints, added, removed) mixed with VirtualService and DestinationRule edits WHEN each reloads on its predecessor THEN the view shares the predecessor\'s objects AND every proxy\'s every resource and view equals a from-scratch one', async () => {
  const edits = [...SERVICE_EDITS, ...ROUTE_EDITS.filter((_, i) => i % 4 === 0), ...SERVICE_EDITS];
  // Half as many chains as the others: each edit still runs twice or more (asserted).
  await chains(edits, servicesApart, 'Services, ServiceEntries, VirtualServices and DestinationRules', SEED + 2, Math.ceil(CHAINS / 2));
});

/** Namespaces of the state's objects (where an added object may go without adding a namespace). */
const namespacesOf = (s: MeshState): string[] => [...new Set(s.placed.map((p) => String(p.doc.metadata?.namespace ?? '')).filter((n) => n !== ''))].sort();
const pickOf = <T>(r: () => number, xs: readonly T[]): T | undefined => (xs.length === 0 ? undefined : xs[Math.floor(r() * xs.length)]);
const placedOf = (s: MeshState, kind: string) => s.placed.filter((p) => p.doc.kind === kind);

/**
 * Edits of kinds nothing the view shares reads (`graph.ts` UNSHARED_KINDS, and kinds meshproof does
 * not model): Istio Gateways (servers, hosts, TLS, selector, added, removed), Secrets, ConfigMaps
 * outside the root namespace, ServiceAccounts, HorizontalPodAutoscalers and an unknown kind.
 */
const UNSHARED_EDITS: Mutation[] = [
  { name: 'Gateway hosts', apply: (s, r) => {
    const g = pickOf(r, placedOf(s, 'Gateway'))?.doc;
    const server = g && pickOf<{ hosts?: string[] }>(r, Array.isArray(g.spec?.servers) ? g.spec.servers : []);
    if (!server) return null;
    server.hosts = [pickOf(r, ['*', '*/*.example.com', 'front/*', './ratings.example.com', 'reviews.example.com'])!];
    return `Gateway ${g.metadata.namespace}/${g.metadata.name}: hosts ${JSON.stringify(server.hosts)}`;
  } },
  { name: 'Gateway server added (HTTPS)', apply: (s, r) => {
    const g = pickOf(r, placedOf(s, 'Gateway'))?.doc;
    if (!g || !Array.isArray(g.spec?.servers)) return null;
    g.spec.servers.push({ port: { number: 443 + Math.floor(r() * 3), name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: pickOf(r, ['SIMPLE', 'MUTUAL', 'PASSTHROUGH'])!, credentialName: 'web-cert' } });
    return `Gateway ${g.metadata.namespace}/${g.metadata.name}: HTTPS server ${g.spec.servers.at(-1).tls.mode}`;
  } },
  { name: 'Gateway selector', apply: (s, r) => {
    const g = pickOf(r, placedOf(s, 'Gateway'))?.doc;
    if (!g) return null;
    g.spec.selector = r() < 0.5 ? { istio: 'ingressgateway' } : { istio: 'eastwest' };
    return `Gateway ${g.metadata.namespace}/${g.metadata.name}: selector ${JSON.stringify(g.spec.selector)}`;
  } },
  { name: 'Gateway added/removed', apply: (s, r) => {
    const gs = placedOf(s, 'Gateway');
    if (gs.length > 0 && r() < 0.4) {
      const p = pickOf(r, gs)!;
      s.placed.splice(s.placed.indexOf(p), 1);
      return `Gateway ${p.doc.metadata.namespace}/${p.doc.metadata.name} removed`;
    }
    const n = pickOf(r, namespacesOf(s))!;
    s.placed.push({ doc: { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: `gw-${Math.floor(r() * 1e6)}`, namespace: n }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } }, file: 1, pad: 0, flow: false });
    return `Gateway added in ${n}`;
  } },
  { name: 'Secret added/edited', apply: (s, r) => {
    const secrets = placedOf(s, 'Secret');
    const existing = secrets.length > 0 && r() < 0.5 ? pickOf(r, secrets)!.doc : undefined;
    if (existing) {
      existing.data = { ...(existing.data ?? {}), extra: Buffer.from(String(r())).toString('base64') };
      return `Secret ${existing.metadata.namespace}/${existing.metadata.name} edited`;
    }
    const n = pickOf(r, namespacesOf(s))!;
    s.placed.push({ doc: { apiVersion: 'v1', kind: 'Secret', metadata: { name: pickOf(r, ['web-cert', `s-${Math.floor(r() * 1e6)}`])!, namespace: n }, type: 'Opaque', data: { key: 'a2V5' } }, file: 1, pad: 0, flow: false });
    return `Secret added in ${n}`;
  } },
  { name: 'ConfigMap (not the MeshConfig) added/edited', apply: (s, r) => {
    const maps = placedOf(s, 'ConfigMap').filter((p) => p.doc.metadata?.namespace !== 'istio-system');
    const existing = maps.length > 0 && r() < 0.5 ? pickOf(r, maps)!.doc : undefined;
    if (existing) {
      existing.data = { ...(existing.data ?? {}), feature: String(Math.floor(r() * 100)) };
      return `ConfigMap ${existing.metadata.namespace}/${existing.metadata.name} edited`;
    }
    const n = pickOf(r, namespacesOf(s).filter((x) => x !== 'istio-system'))!;
    s.placed.push({ doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `settings-${Math.floor(r() * 1e6)}`, namespace: n }, data: { mesh: 'not a mesh config: outside the root namespace' } }, file: 1, pad: 0, flow: false });
    return `ConfigMap added in ${n}`;
  } },
  { name: 'ServiceAccount, HorizontalPodAutoscaler or unknown kind added', apply: (s, r) => {
    const n = pickOf(r, namespacesOf(s))!;
    const k = Math.floor(r() * 3);
    const doc = k === 0 ? { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `sa-${Math.floor(r() * 1e6)}`, namespace: n } }
      : k === 1 ? { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: `hpa-${Math.floor(r() * 1e6)}`, namespace: n }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }, minReplicas: 1, maxReplicas: 3 } }
      : { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: `w-${Math.floor(r() * 1e6)}`, namespace: n }, spec: { size: 3 } };
    s.placed.push({ doc, file: 1, pad: 0, flow: false });
    return `${doc.kind} added in ${n}`;
  } },
];

/** The kinds of {@link UNSHARED_EDITS} in the second file (editing one moves no other kind's lines), everything else in the first. */
const unsharedApart = apart((doc) => ['Gateway', 'Secret', 'ConfigMap', 'ServiceAccount', 'HorizontalPodAutoscaler', 'Widget'].includes(doc.kind) && !(doc.kind === 'ConfigMap' && doc.metadata?.namespace === 'istio-system'));

test('GIVEN every corpus and seeded chains of edits of kinds no shared view object reads (Gateways, Secrets, ConfigMaps outside the root namespace, ServiceAccounts, autoscalers, an unknown kind) mixed with VirtualService edits WHEN each reloads on its predecessor THEN the view shares the predecessor\'s objects AND every proxy\'s every resource and view (gateways included) equals a from-scratch one', async () => {
  const edits = [...UNSHARED_EDITS, ...ROUTE_EDITS.filter((m, i) => m.name.startsWith('VirtualService') && i % 3 === 0), ...UNSHARED_EDITS];
  await chains(edits, unsharedApart, 'Gateways, Secrets, ConfigMaps, other unshared kinds and VirtualServices', SEED + 3, Math.ceil(CHAINS / 2));
});

/**
 * Edits of WorkloadEntries (a ServiceEntry given a workloadSelector and a WorkloadEntry; an entry's
 * address, labels, ports, weight, service account; added beside another; removed), with Service and
 * ServiceEntry edits: a WorkloadEntry is a workload (data plane, service accounts) and an endpoint
 * of the ServiceEntries selecting it.
 */
const vmAdded: Mutation = { name: 'ServiceEntry for VMs added, with a WorkloadEntry', apply: (s, r) => {
    const n = pickOf(r, namespacesOf(s).filter((x) => x !== 'istio-system'))!;
    const app = `vm${Math.floor(r() * 1e6)}`;
    s.placed.push({ doc: { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: app, namespace: n }, spec: { hosts: [`${app}.vms.example`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }], workloadSelector: { labels: { app } } } }, file: 1, pad: 0, flow: false });
    s.placed.push({ doc: { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: `${app}-1`, namespace: n }, spec: { address: `10.9.1.${1 + Math.floor(r() * 200)}`, labels: { app, version: 'v1' }, serviceAccount: 'vm-sa' } }, file: 1, pad: 0, flow: false });
    return `ServiceEntry ${n}/${app} (workloadSelector app=${app}) and WorkloadEntry ${app}-1 added`;
} };

/** `m`, or where it finds nothing to edit (no ServiceEntry or WorkloadEntry yet), {@link vmAdded}: every edit applies, so the round robin never stalls. */
const orVmAdded = (m: Mutation): Mutation => ({ name: m.name, apply: (s, r) => m.apply(s, r) ?? vmAdded.apply(s, r) });

const WORKLOAD_ENTRY_EDITS: Mutation[] = [vmAdded, ...([
  ...MUTATIONS.filter((m) => m.name.includes('WorkloadEntry')),
  { name: 'WorkloadEntry ports, weight or service account', apply: (s, r) => {
    const we = pickOf(r, placedOf(s, 'WorkloadEntry'))?.doc;
    if (!we) return null;
    const k = Math.floor(r() * 3);
    if (k === 0) we.spec.ports = { http: 8000 + Math.floor(r() * 100), 'http-web': 9000 };
    else if (k === 1) we.spec.weight = 1 + Math.floor(r() * 9);
    else we.spec.serviceAccount = `vm-sa-${Math.floor(r() * 9)}`;
    return `WorkloadEntry ${we.metadata.namespace}/${we.metadata.name}: ${JSON.stringify(we.spec)}`;
  } },
  { name: 'WorkloadEntry added or removed', apply: (s, r) => {
    const wes = placedOf(s, 'WorkloadEntry');
    if (wes.length > 0 && r() < 0.5) {
      const p = pickOf(r, wes)!;
      s.placed.splice(s.placed.indexOf(p), 1);
      return `WorkloadEntry ${p.doc.metadata.namespace}/${p.doc.metadata.name} removed`;
    }
    const like = pickOf(r, wes)?.doc;
    const n = like?.metadata.namespace ?? pickOf(r, namespacesOf(s))!;
    const labels = like ? { ...like.spec.labels, version: 'v9' } : { app: 'vm' };
    s.placed.push({ doc: { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: `vm-${Math.floor(r() * 1e6)}`, namespace: n }, spec: { address: `10.9.0.${1 + Math.floor(r() * 200)}`, labels } }, file: 1, pad: 0, flow: false });
    return `WorkloadEntry added in ${n} ${JSON.stringify(labels)}`;
  } },
] as Mutation[]).map(orVmAdded)];

/** Services, ServiceEntries and WorkloadEntries in the second file (editing one moves no other kind's lines), everything else in the first. */
const entriesApart = kindsApart('Service', 'ServiceEntry', 'WorkloadEntry');

test('GIVEN every corpus and seeded chains of WorkloadEntry edits (selected by a ServiceEntry, address, labels, ports, weight, service account, added, removed) mixed with Service and ServiceEntry edits WHEN each reloads on its predecessor THEN the view shares the predecessor\'s objects AND every proxy\'s every resource and view equals a from-scratch one', async () => {
  const edits = [...WORKLOAD_ENTRY_EDITS, ...SERVICE_EDITS.filter((_, i) => i % 3 === 0), ...WORKLOAD_ENTRY_EDITS];
  await chains(edits, entriesApart, 'WorkloadEntries, Services and ServiceEntries', SEED + 5);
});

/**
 * Edits of Namespaces' labels (injection on and off, ambient, a revision, an unrelated label): a
 * Namespace's labels decide the data plane of every workload in it (`membership.ts`).
 */
const NAMESPACE_EDITS: Mutation[] = [
  ...MUTATIONS.filter((m) => m.name === 'Namespace labels'),
  { name: 'Namespace revision or injection label', apply: (s, r) => {
    const n = pickOf(r, placedOf(s, 'Namespace').filter((p) => p.doc.metadata?.name !== 'istio-system'))?.doc;
    if (!n) return null;
    const labels = ((n.metadata ??= {}).labels ??= {});
    const k = Math.floor(r() * 3);
    if (k === 0) { delete labels['istio-injection']; labels['istio.io/rev'] = 'canary'; }
    else if (k === 1) labels['istio-injection'] = 'disabled';
    else { delete labels['istio.io/dataplane-mode']; labels['istio-injection'] = 'enabled'; }
    return `Namespace ${n.metadata.name}: labels ${JSON.stringify(labels)}`;
  } },
];

/** Namespaces in the second file (editing one moves no other kind's lines), everything else in the first. */
const namespacesApart = kindsApart('Namespace');

test('GIVEN every corpus and seeded chains of Namespace label edits (injection on, off, disabled, ambient, a revision, unrelated) mixed with Deployment edits WHEN each reloads on its predecessor THEN the view shares the predecessor\'s objects AND every proxy\'s every resource and view equals a from-scratch one', async () => {
  const edits = [...NAMESPACE_EDITS, ...POD_EDITS.filter((_, i) => i % 2 === 0), ...NAMESPACE_EDITS];
  await chains(edits, namespacesApart, 'Namespaces and Deployments', SEED + 6, Math.ceil(CHAINS / 2));
});

/**
 * Namespaces appearing and going, as a platform team onboards and offboards one: a new namespace
 * (its Namespace, a Service, a Deployment and its workload instance, a DestinationRule with a
 * subset, a VirtualService; sometimes a namespace-local VirtualService or DestinationRule for a host
 * of another namespace, which its own sidecars use first, or a Sidecar), a namespace's objects all
 * removed, an existing Service or VirtualService exported to a new namespace, an empty Namespace
 * added. Each is changed objects of kinds the view base handles: the view stays shared.
 */
let onboarded = 0;
const NAMESPACE_SET_EDITS: Mutation[] = [
  { name: 'namespace onboarded', apply: (s, r) => {
    const n = `team-${onboarded++}`;
    const add = (doc: MeshState['placed'][number]['doc']) => s.placed.push({ doc, file: 1, pad: 0, flow: false });
    add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n, labels: { 'istio-injection': 'enabled' } } });
    add({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: n }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } });
    add({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: n }, spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api', version: 'v1' } }, spec: { containers: [{ name: 'app' }] } } } });
    s.workloads.push({ name: 'api-v1', namespace: n, address: `10.9.${onboarded % 200}.${1 + Math.floor(r() * 200)}`, labels: { app: 'api', version: 'v1' }, ports: {} });
    add({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'api', namespace: n }, spec: { host: 'api', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } });
    add({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'api', namespace: n }, spec: { hosts: ['api'], http: [{ route: [{ destination: { host: 'api', subset: 'v1' } }], timeout: '3s' }] } });
    const other = pickOf(r, placedOf(s, 'Service').filter((p) => p.doc.metadata?.namespace !== n && Array.isArray(p.doc.spec?.ports) && p.doc.spec.ports.length > 0))?.doc;
    const host = other && `${other.metadata.name}.${other.metadata.namespace ?? 'default'}.svc.cluster.local`;
    const k = Math.floor(r() * 4);
    if (host && k === 0) add({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'local-override', namespace: n }, spec: { hosts: [host], exportTo: ['.'], http: [{ route: [{ destination: { host } }], retries: { attempts: 1 } }] } });
    if (host && k === 1) add({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'local-policy', namespace: n }, spec: { host, exportTo: ['.'], trafficPolicy: { connectionPool: { tcp: { maxConnections: 7 } } } } });
    if (k === 2) add({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: n }, spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }] } });
    return `namespace ${n} onboarded (${['a local VirtualService for ' + host, 'a local DestinationRule for ' + host, 'a Sidecar', 'nothing else'][k]})`;
  } },
  { name: 'namespace offboarded', apply: (s, r) => {
    const n = pickOf(r, namespacesOf(s).filter((x) => x !== 'istio-system'));
    if (!n) return null;
    s.placed = s.placed.filter((p) => String(p.doc.metadata?.namespace ?? '') !== n && !(p.doc.kind === 'Namespace' && p.doc.metadata?.name === n));
    s.workloads = s.workloads.filter((w) => w.namespace !== n);
    return `namespace ${n} offboarded (every object removed)`;
  } },
  { name: 'exported to a new namespace', apply: (s, r) => {
    const o = pickOf(r, s.placed.filter((p) => (p.doc.kind === 'Service' || p.doc.kind === 'VirtualService') && p.doc.metadata?.namespace !== 'istio-system'))?.doc;
    if (!o) return null;
    const n = `client-${onboarded++}`;
    if (o.kind === 'Service') (o.metadata.annotations ??= {})['networking.istio.io/exportTo'] = `.,${n}`;
    else (o.spec ??= {}).exportTo = ['.', n];
    s.placed.push({ doc: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'client', namespace: n }, spec: { template: { metadata: { labels: { app: 'client' } }, spec: { containers: [{ name: 'app' }] } } } }, file: 1, pad: 0, flow: false });
    return `${o.kind} ${o.metadata.namespace}/${o.metadata.name} exported to ., ${n} (a client Deployment there)`;
  } },
  { name: 'empty Namespace added', apply: (s) => {
    const n = `spare-${onboarded++}`;
    s.placed.push({ doc: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } }, file: 1, pad: 0, flow: false });
    return `Namespace ${n} added (no object in it)`;
  } },
];

test('GIVEN every corpus and seeded chains of namespaces onboarded (with objects, local overrides, a Sidecar), offboarded, exported to, or added empty, mixed with VirtualService and DestinationRule edits WHEN each reloads on its predecessor THEN the view shares the predecessor\'s objects AND every proxy\'s every resource and view equals a from-scratch one', async () => {
  const edits = [...NAMESPACE_SET_EDITS, ...ROUTE_EDITS.filter((_, i) => i % 5 === 0), ...NAMESPACE_SET_EDITS, ...NAMESPACE_SET_EDITS];
  await chains(edits, kindsApart('VirtualService', 'DestinationRule'), 'namespaces appearing and going', SEED + 8, Math.ceil(CHAINS / 2));
});

/**
 * Edits of Sidecars, PeerAuthentications and AuthorizationPolicies: `_mutations.ts`'s (a Sidecar
 * added or edited, a namespace PeerAuthentication's mode, an AuthorizationPolicy's rules) and
 * removals, workload and port-level PeerAuthentications, mesh-wide ones in the root namespace and
 * a second namespace-wide one ahead of the first (istiod reads the first).
 */
const POLICY_EDITS: Mutation[] = [
  ...MUTATIONS.filter((m) => m.name.startsWith('Sidecar') || m.name === 'PeerAuthentication' || m.name === 'AuthorizationPolicy'),
  { name: 'policy removed', apply: (s, r) => {
    const p = pickOf(r, s.placed.filter((x) => ['Sidecar', 'PeerAuthentication', 'AuthorizationPolicy'].includes(x.doc.kind)));
    if (!p) return null;
    s.placed.splice(s.placed.indexOf(p), 1);
    return `${p.doc.kind} ${p.doc.metadata.namespace}/${p.doc.metadata.name} removed`;
  } },
  { name: 'PeerAuthentication mesh-wide', apply: (s, r) => {
    const mode = pickOf(r, ['STRICT', 'PERMISSIVE', 'DISABLE'])!;
    const mesh = placedOf(s, 'PeerAuthentication').find((p) => p.doc.metadata.namespace === 'istio-system' && p.doc.spec?.selector === undefined);
    if (mesh) mesh.doc.spec = { ...(mesh.doc.spec ?? {}), mtls: { mode } };
    else s.placed.push({ doc: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'mesh', namespace: 'istio-system' }, spec: { mtls: { mode } } }, file: 1, pad: 0, flow: false });
    return `mesh-wide PeerAuthentication ${mode}`;
  } },
  { name: 'PeerAuthentication for a workload, port-level', apply: (s, r) => {
    const d = pickOf(r, placedOf(s, 'Deployment').filter((p) => p.doc.metadata?.namespace !== 'istio-system'))?.doc;
    const labels = d?.spec?.template?.metadata?.labels;
    if (!d || !labels) return null;
    const mode = pickOf(r, ['STRICT', 'PERMISSIVE', 'DISABLE'])!;
    s.placed.push({ doc: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: `pa-${Math.floor(r() * 1e6)}`, namespace: d.metadata.namespace }, spec: { selector: { matchLabels: labels }, mtls: { mode }, portLevelMtls: { 9080: { mode: pickOf(r, ['STRICT', 'DISABLE'])! } } } }, file: 1, pad: 0, flow: false });
    return `PeerAuthentication ${mode} for ${d.metadata.namespace}/${d.metadata.name}, port 9080`;
  } },
  { name: 'PeerAuthentication ahead of another', apply: (s, r) => {
    const first = pickOf(r, placedOf(s, 'PeerAuthentication').filter((p) => p.doc.spec?.selector === undefined));
    if (!first) return null;
    const mode = first.doc.spec?.mtls?.mode === 'DISABLE' ? 'STRICT' : 'DISABLE';
    s.placed.splice(s.placed.indexOf(first), 0, { doc: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: `aa-${Math.floor(r() * 1e6)}`, namespace: first.doc.metadata.namespace }, spec: { mtls: { mode } } }, file: 1, pad: 0, flow: false });
    return `PeerAuthentication ${mode} in ${first.doc.metadata.namespace} ahead of ${first.doc.metadata.name}`;
  } },
];

/** Sidecars, PeerAuthentications and AuthorizationPolicies in the second file (editing one moves no other kind's lines), everything else in the first. */
const policiesApart = kindsApart('Sidecar', 'PeerAuthentication', 'AuthorizationPolicy');

test('GIVEN every corpus and seeded chains of Sidecar, PeerAuthentication (namespace, mesh-wide, workload, port-level, removed, another one first) and AuthorizationPolicy edits mixed with VirtualService and DestinationRule edits WHEN each reloads on its predecessor THEN the view shares the predecessor\'s objects AND every proxy\'s every resource and view equals a from-scratch one', async () => {
  const edits = [...POLICY_EDITS, ...ROUTE_EDITS.filter((_, i) => i % 4 === 0), ...POLICY_EDITS];
  await chains(edits, policiesApart, 'Sidecars, PeerAuthentications, AuthorizationPolicies, VirtualServices and DestinationRules', SEED + 4, Math.ceil(CHAINS / 2));
});

test('GIVEN a VirtualService for ratings that routes to reviews WHEN a reload edits only the reviews Service\'s port (9080 → 9081) THEN the graph has a view base AND the ratings routes (which read reviews) are made again, to the new port, equal to a from-scratch translation, while the view objects of the hosts the edit does not reach stay shared', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-carry-'));
  try {
    const start = servicesApart(cloneState(corpora()[0]!));
    start.placed.push({ doc: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'ratings-to-reviews', namespace: 'front' }, spec: { hosts: ['ratings'], http: [{ match: [{ headers: { 'x-reviews': { exact: '1' } } }], route: [{ destination: { host: 'reviews.shop.svc.cluster.local' } }] }, { route: [{ destination: { host: 'ratings' } }] }] } }, file: 0, pad: 0, flow: false });
    const g1 = await graphOf(start, join(dir, 'm'), { carryOver: true });
    const before = packedMesh(g1, start.workloads);
    const productpage = (g: MeshGraph) => buildProxyView(g, proxiesOf(g).find((p) => p.name === 'productpage')!);
    const v1 = productpage(g1);
    const next = cloneState(start);
    next.placed.find((p) => p.doc.kind === 'Service' && p.doc.metadata.name === 'reviews')!.doc.spec.ports[0].port = 9081;
    servicesApart(next);
    const g2 = await graphOf(next, join(dir, 'm'), { previous: g1 });
    assert.equal(g2.viewBase()?.changed.map((o) => `${o.kind} ${o.name}`), ['Service reviews', 'Service reviews'], 'only the reviews Service changed (both versions): a view base');
    const v2 = productpage(g2);
    const toReviews = (v: typeof v1) => v.routes.filter((r) => r.host === 'ratings.front.svc.cluster.local').flatMap((r) => r.http.flatMap((h) => h.destinations.filter((d) => d.host.startsWith('reviews.')).map((d) => d.cluster ?? 'none')));
    assert.ok(toReviews(v1).length > 0 && toReviews(v1).every((c) => c.includes('|9080|')), `the ratings route goes to reviews on 9080 first: ${toReviews(v1)}`);
    assert.ok(toReviews(v2).length > 0 && toReviews(v2).every((c) => c.includes('|9081|')), `then on 9081: ${toReviews(v2)}`);
    const payments = (v: typeof v1) => v.clusters.filter((c) => c.host === 'api.payments.example');
    assert.ok(payments(v2).length > 0 && payments(v2).every((c, i) => c === payments(v1)[i]), 'the payments ServiceEntry\'s cluster views are the predecessor\'s objects');
    const scratch = packedMesh(await graphOf(next, join(dir, 'm')), next.workloads, false);
    assert.equal(differences(packedMesh(g2, next.workloads), scratch), []);
    assert.ok(differences(before, scratch).length > 0, 'the edit changed the output');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN reviews behind a PASSTHROUGH DestinationRule (its clusters\' TLS follows the data plane of its workloads) WHEN a reload turns sidecar injection off for both reviews Deployments THEN the graph has a view base AND the reviews clusters go from ISTIO_MUTUAL to plaintext, equal to a from-scratch translation, while the ratings clusters stay shared', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-carry-'));
  try {
    const start = podsAndRoutesApart(cloneState(corpora()[0]!));
    // The reviews Deployments last, so that editing them moves no other object.
    const last = (p: (typeof start.placed)[number]) => Number(p.doc.kind === 'Deployment' && String(p.doc.metadata.name).startsWith('reviews-'));
    start.placed.sort((a, b) => last(a) - last(b));
    const dr = start.placed.find((p) => p.doc.kind === 'DestinationRule' && p.doc.metadata.name === 'reviews')!;
    dr.doc.spec.trafficPolicy = { ...(dr.doc.spec.trafficPolicy ?? {}), loadBalancer: { simple: 'PASSTHROUGH' } };
    const g1 = await graphOf(start, join(dir, 'm'), { carryOver: true });
    const before = packedMesh(g1, start.workloads);
    const productpage = proxiesOf(g1).find((p) => p.name === 'productpage')!;
    const v1 = buildProxyView(g1, productpage);
    const tlsOf = (v: typeof v1, host: string) => v.clusters.filter((c) => c.host === host).map((c) => c.policy.tls.mode);
    assert.equal([...new Set(tlsOf(v1, 'reviews.shop.svc.cluster.local'))], ['ISTIO_MUTUAL'], 'both reviews Deployments run sidecars');
    const next = cloneState(start);
    for (const p of next.placed.filter((x) => x.doc.kind === 'Deployment' && String(x.doc.metadata.name).startsWith('reviews-'))) {
      ((p.doc.spec.template.metadata ??= {}).annotations ??= {})['sidecar.istio.io/inject'] = 'false';
    }
    podsAndRoutesApart(next);
    const g2 = await graphOf(next, join(dir, 'm'), { previous: g1 });
    assert.equal(g2.viewBase()?.changed.map((o) => `${o.kind} ${o.name}`).sort(), ['Deployment reviews-v1', 'Deployment reviews-v1', 'Deployment reviews-v2', 'Deployment reviews-v2'], 'only the two Deployments changed (both versions): a view base');
    const v2 = buildProxyView(g2, proxiesOf(g2).find((p) => p.name === 'productpage')!);
    assert.equal([...new Set(tlsOf(v2, 'reviews.shop.svc.cluster.local'))], ['DISABLE'], 'no reviews workload has a sidecar now');
    const ratings = (v: typeof v1) => v.clusters.filter((c) => c.host === 'ratings.front.svc.cluster.local');
    assert.ok(ratings(v2).length > 0 && ratings(v2).every((c, i) => c === ratings(v1)[i]), 'the ratings cluster views are the predecessor\'s objects');
    const carried = packedMesh(g2, next.workloads);
    const scratch = packedMesh(await graphOf(next, join(dir, 'm')), next.workloads, false);
    assert.equal(differences(carried, scratch), []);
    assert.ok(differences(before, scratch).length > 0, 'the edit changed the output');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a reload where a Service moved down one line besides a VirtualService edit WHEN the graph is built on its predecessor THEN it has a view base with the Service moved (not changed) AND its views, output and findings equal a from-scratch build\'s, the Service\'s origin at its new line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-carry-'));
  try {
    const start = routesApart(cloneState(corpora()[0]!));
    const graph = await graphOf(start, join(dir, 'm'), { carryOver: true });
    packedMesh(graph, start.workloads);
    const candidate = cloneState(start);
    const vs = candidate.placed.find((p) => p.doc.kind === 'VirtualService')!;
    const route = vs.doc.spec.http[0];
    route.timeout = '7s';
    const service = candidate.placed.find((p) => p.doc.kind === 'Service')!;
    service.pad += 1;
    const next = await graphOf(candidate, join(dir, 'm'), { previous: graph });
    const base = next.viewBase();
    assert.ok(base, 'a moved Service keeps the view base');
    assert.ok(base.moved.some((m) => m.next.kind === 'Service' && m.next.name === service.doc.metadata.name), 'the Service moved (and the documents after it in its file)');
    assert.ok(base.changed.some((o) => o.kind === 'VirtualService' && o.name === vs.doc.metadata.name), 'the edited VirtualService changed');
    assert.equal([...new Set(base.changed.map((o) => o.kind))].sort(), ['DestinationRule', 'VirtualService'], 'changed: the edited VirtualService and the routing objects it moved (counted as changed: their origins are in route and cluster metadata)');
    const key = `Service/${service.doc.metadata.namespace}/${service.doc.metadata.name}`;
    const line = (g: MeshGraph) => g.objects.find((o) => o.key === key)!.location.line;
    assert.is(line(next), line(graph) + 1, 'the new graph holds the moved Service at its new line');
    const fresh = await graphOf(candidate, join(dir, 'm'));
    assert.equal(viewDifferences(next, fresh), []);
    const scratch = packedMesh(fresh, candidate.workloads, false);
    assert.equal(differences(packedMesh(next, candidate.workloads), scratch), []);
    assert.equal(findingLines(next), findingLines(fresh));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * MeshConfig texts that set only fields no value shared between graphs reads
 * (`PER_GRAPH_MESH_CONFIG_FIELDS`): one per field, outputs changed (passthrough vs
 * blackhole, connection managers' path normalization, inbound retries, the inspectors' timeout) or not.
 */
const PER_GRAPH_MESH_LINES = [
  'outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n',
  'outboundTrafficPolicy:\n  mode: ALLOW_ANY\n',
  'pathNormalization:\n  normalization: MERGE_SLASHES\n',
  'defaultInboundHttpRetryPolicy:\n  attempts: 4\n  retryOn: 503,reset-before-request\n',
  'protocolDetectionTimeout: 5s\n',
  'defaultConfig:\n  concurrency: 2\n',
  'ingressService: edge-gateway\n',
  'ingressClass: edge\n',
];

/** The lines {@link PER_GRAPH_MESH_CONFIG} has set, first or second. */
const perGraphLinesUsed = new Set<string>();
let perGraphNext = 0;

/** The root namespace's `istio` ConfigMap given the next of {@link PER_GRAPH_MESH_LINES}, and half the time a random second one (the previous text replaced). */
const PER_GRAPH_MESH_CONFIG: Mutation = {
  name: 'MeshConfig per-graph fields', apply: (s, r) => {
    let p = s.placed.find((x) => x.doc.kind === 'ConfigMap' && x.doc.metadata?.name === 'istio' && x.doc.metadata?.namespace === 'istio-system');
    if (!p) s.placed.push((p = { doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: '' } }, file: 1, pad: 0, flow: false }));
    const first = PER_GRAPH_MESH_LINES[perGraphNext++ % PER_GRAPH_MESH_LINES.length]!;
    const second = PER_GRAPH_MESH_LINES[Math.floor(r() * PER_GRAPH_MESH_LINES.length)]!;
    const key = (line: string) => line.split(':')[0];
    const mesh = r() < 0.5 || key(first) === key(second) ? first : first + second;
    if (p.doc.data?.mesh === mesh) return null;
    p.doc.data = { mesh };
    perGraphLinesUsed.add(first);
    if (mesh !== first) perGraphLinesUsed.add(second);
    return `MeshConfig ${JSON.stringify(mesh)}`;
  },
};

/** The MeshConfig's ConfigMap in the second file (editing it moves no other object), everything else in the first. */
const meshConfigApart = apart((doc) => doc.kind === 'ConfigMap' && doc.metadata?.namespace === 'istio-system' && doc.metadata?.name === 'istio');

test('GIVEN every corpus and seeded chains of MeshConfig edits of fields only per-graph values read (outbound traffic policy, path normalization, inbound retries, protocol detection timeout, ProxyConfig, ingress service and class) mixed with VirtualService and DestinationRule edits WHEN each reloads on its predecessor THEN the view shares the predecessor\'s objects AND every proxy\'s every resource and view equals a from-scratch one', async () => {
  const edits = [PER_GRAPH_MESH_CONFIG, ...ROUTE_EDITS.filter((_, i) => i % 6 === 0).flatMap((m) => [m, PER_GRAPH_MESH_CONFIG])];
  await chains(edits, meshConfigApart, 'the MeshConfig\'s per-graph fields, VirtualServices and DestinationRules', SEED + 9, Math.ceil(CHAINS / 2));
  assert.equal(PER_GRAPH_MESH_LINES.filter((l) => !perGraphLinesUsed.has(l)), [], 'every per-graph MeshConfig field was edited');
});

test('GIVEN a mesh WHEN a reload sets a MeshConfig field a shared value reads (or one meshproof does not model) THEN the graph has no view base AND every proxy\'s output equals a from-scratch translation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-carry-'));
  const shared = ['enableAutoMtls: false\n', 'defaultServiceExportTo: ["."]\n', 'defaultVirtualServiceExportTo: ["."]\n', 'defaultDestinationRuleExportTo: ["."]\n', 'connectTimeout: 3s\n', 'h2UpgradePolicy: UPGRADE\n', 'defaultHttpRetryPolicy:\n  attempts: 5\n', 'trustDomain: example.org\n', 'ingressSelector: edge\n', 'accessLogFile: /dev/stdout\n', 'trustDomainAliases: [old.example]\n', 'protocolDetectionTimeout: 5s\nconnectTimeout: 3s\n'];
  try {
    const base = meshConfigApart(cloneState(corpora()[0]!));
    const g1 = await graphOf(base, join(dir, 'm'), { carryOver: true });
    packedMesh(g1, base.workloads);
    prepareCarryOver(g1);
    for (const mesh of shared) {
      const next = cloneState(base);
      const given = next.placed.find((x) => x.doc.kind === 'ConfigMap' && x.doc.metadata?.name === 'istio' && x.doc.metadata?.namespace === 'istio-system');
      if (given) given.doc.data = { mesh };
      else next.placed.push({ doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh } }, file: 1, pad: 0, flow: false });
      meshConfigApart(next);
      const compared = await compareReload(g1, next, join(dir, 'm'), `MeshConfig ${JSON.stringify(mesh)}`, 'node --import tsx node_modules/uvu/bin.js test view-carry-diff');
      assert.ok(compared, `a usable mesh with MeshConfig ${JSON.stringify(mesh)}`);
      assert.is(compared.reloaded.viewBase(), undefined, `MeshConfig ${JSON.stringify(mesh)}: no view base`);
      assert.equal(compared.reloaded.duplicates, [], 'the MeshConfig is edited, not given twice');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a VirtualService-only reload (translations shared by identity) followed by a DestinationRule edit and a MeshConfig field shared values read WHEN the third graph is built on the second THEN it finds by content, in the second graph\'s carry-over store, every cluster and load assignment the edit did not touch, and its output equals a from-scratch translation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-carry-'));
  try {
    const first = routesApart(cloneState(corpora().at(-1)!));
    const services = first.placed.filter((p) => p.doc.kind === 'Service').length;
    const g1 = await graphOf(first, join(dir, 'm'), { carryOver: true });
    packedMesh(g1, first.workloads);
    prepareCarryOver(g1);
    const second = cloneState(first);
    const vs = second.placed.find((p) => p.doc.kind === 'VirtualService' && p.doc.metadata.name === 'svc1')!;
    vs.doc.spec.http[1].route[0].weight = 60;
    vs.doc.spec.http[1].route[1].weight = 40;
    const g2 = await graphOf(second, join(dir, 'm'), { previous: g1 });
    assert.ok(g2.viewBase(), 'a VirtualService-only reload');
    packedMesh(g2, second.workloads);
    releaseCarryOver(g2);
    prepareCarryOver(g2);
    const third = cloneState(second);
    third.placed.find((p) => p.doc.kind === 'DestinationRule' && p.doc.metadata.name === 'svc3')!.doc.spec.trafficPolicy.outlierDetection.consecutive5xxErrors = 4;
    // And the MeshConfig given (last, so no other object moves; the ingress gateways' selector,
    // which memberships read, but no proxy of this mesh carries): a field shared values read
    // changed, so no view base, and the third graph looks the rest up in the second's store by content.
    third.placed.push({ doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'ingressSelector: edge\n' } }, file: 0, pad: 0, flow: false });
    const g3 = await graphOf(third, join(dir, 'm'), { previous: g2 });
    assert.is(g3.viewBase(), undefined, 'the MeshConfig changed: no view base');
    const carried = packedMesh(g3, third.workloads);
    const { reused, built } = carryOverStoreOf(g3)!.counts;
    // Three clusters per service (default, v1, v2), as a proxy and proxyless; the edited rule's are built anew.
    assert.ok(reused.clusters >= 6 * (services - 2), `clusters found in the second graph's store: ${reused.clusters} reused, ${built.clusters} built`);
    assert.ok(reused.endpoints >= 3 * (services - 2), `load assignments found in the second graph's store: ${reused.endpoints} reused, ${built.endpoints} built`);
    const scratch = packedMesh(await graphOf(third, join(dir, 'm')), third.workloads, false);
    assert.equal(differences(carried, scratch), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
