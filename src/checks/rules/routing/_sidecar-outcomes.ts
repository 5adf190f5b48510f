import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, stringList, stringMap, type MeshObject } from '../../../mesh/object.js';
import { appliedHttpRules, type AppliedHttpRule } from '../../../mesh/applied-routes.js';
import { mergedDelegateRules } from '../../../mesh/delegation.js';
import { proxiesOfWorkload } from '../../../mesh/view/proxy.js';
import { exportedTo, exportToOf } from '../../../mesh/visibility.js';
import { sidecarOfClient, virtualServiceImported, virtualServiceImportedUnder } from '../../../mesh/view/sidecar-imports.js';
import { LABEL_STATEFULSET_POD_NAME } from '../../../mesh/workloads.js';
import { hostPortsOf, isCatchAllMatch } from './_helpers.js';

/**
 * A port no match entry names, standing for every such port when the input does not say which HTTP ports the hosts
 * have (a port match never applies there, so it needs no number of its own).
 */
export const OTHER_PORT = 0;
/** The namespace of a client no `sourceNamespace` names. */
const OTHER_NAMESPACE = '\u0000other';

/** Sidecar clients that every source condition of a VirtualService treats alike. */
export interface ClientClass {
  /** How messages name its members: `Deployment shop/web`, `sidecars in namespace loadtest`, `other sidecars`. */
  readonly members: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
}

/** What a sidecar (one client class, one listener port) does with a request for the hosts of a VirtualService. */
export interface SidecarOutcome {
  /** The HTTP port; {@link OTHER_PORT} for the ports no match names when the hosts' ports are unknown. */
  readonly port: number;
  readonly client: ClientClass;
  /** The rules it builds routes from ({@link appliedHttpRules}). */
  readonly rules: readonly AppliedHttpRule[];
  /**
   * `default`: no rule applies, so istiod builds no virtual host from the VirtualService and the service keeps its
   * default route (BuildSidecarVirtualHostWrapper); `caught`: some applied rule takes every request; `nr`: neither,
   * so a request that matches none of the rules gets 404 (NR).
   */
  readonly verdict: 'default' | 'caught' | 'nr';
  /** The Sidecar whose egress hosts do not import the VirtualService for these clients on this port (verdict `default`). */
  readonly hiddenBy?: MeshObject;
}

type Rec = Readonly<Record<string, unknown>>;

/**
 * What the sidecars do with requests for the hosts of mesh-bound `vs`, per HTTP port of its hosts (`hostPortsOf`;
 * when unknown, each port a match names and {@link OTHER_PORT}) and per class of clients its `sourceLabels` and
 * `sourceNamespace` tell apart ({@link clientClassesOf}). Empty when `vs` is not bound to `mesh`, has no hosts, or
 * no port of its hosts carries HTTP.
 */
export function sidecarOutcomes(graph: MeshGraph, vs: MeshObject): SidecarOutcome[] {
  const g = vs.spec.gateways;
  if (Array.isArray(g) && g.length > 0 && !g.includes('mesh')) return [];
  if ((stringList(vs.spec.hosts) ?? []).length === 0) return [];
  const entries = sidecarEntriesOf(graph, vs);
  const known = hostPortsOf(graph, vs);
  const ports = known !== null ? [...known].sort((a, b) => a - b)
    : [...new Set(entries.flatMap((m) => (typeof m.port === 'number' && m.port !== 0 ? [m.port] : [])))].sort((a, b) => a - b).concat(OTHER_PORT);
  const out: SidecarOutcome[] = [];
  for (const client of clientClassesOf(graph, vs, entries, ports)) {
    for (const port of ports) {
      // A Sidecar whose egress hosts do not import the VirtualService gives these clients istiod's default route.
      const scope = virtualServiceImported(graph, vs, client, port);
      if (!scope.imported) {
        out.push({ port, client, rules: [], verdict: 'default', hiddenBy: scope.sidecar! });
        continue;
      }
      const rules = appliedHttpRules(graph, vs, { key: 'mesh', ports: new Set([port]), labels: client.labels, namespace: client.namespace });
      const verdict = rules.length === 0 ? 'default' : rules.some((r) => r.matches.length === 0 || r.matches.some((m) => isCatchAllMatch(withoutSourceKeys(m)))) ? 'caught' : 'nr';
      out.push({ port, client, rules, verdict });
    }
  }
  return out;
}

/** `m` without the keys istiod decides before building the route (`port`, `gateways`, `sourceLabels`, `sourceNamespace`): they hold once it applies. */
function withoutSourceKeys(m: Rec): Rec {
  const { port: _p, gateways: _g, sourceLabels: _l, sourceNamespace: _n, ...rest } = m;
  return rest;
}

/** Every match entry of `vs` the sidecars may read (delegate rules merged under their root's entries). */
function sidecarEntriesOf(graph: MeshGraph, vs: MeshObject): Rec[] {
  const http = Array.isArray(vs.spec.http) ? vs.spec.http.filter(isRecord) : [];
  return http.flatMap((rule) => {
    const merged = mergedDelegateRules(graph, vs, rule);
    const own = Array.isArray(rule.match) ? rule.match.filter(isRecord) : [];
    return merged === null ? own : [...own, ...merged.flatMap((r) => r.matches)];
  });
}

/**
 * The sidecar clients that tell the source conditions of `entries` apart, and the Sidecar scopes that import `vs` on
 * `ports` or not ({@link virtualServiceImported}), grouped by which of them hold. One class when no entry names its
 * client and the input holds no Sidecar. Otherwise: the sidecars of the input (workloads whose pods get, or may get, one,
 * in a namespace `vs` is exported to; with the labels the injector adds), and sidecars the input does not hold,
 * taken to carry none of the labels `sourceLabels` ask for, in each namespace a `sourceNamespace` names or a Sidecar
 * lives in, and in any other one `vs` is exported to. When the input holds no workload at all, each `sourceLabels` written stands for
 * clients carrying exactly those labels: a `sourceLabels` that selects no workload of the input selects no client.
 */
export function clientClassesOf(graph: MeshGraph, vs: MeshObject, entries: readonly Rec[], ports: readonly number[] = [OTHER_PORT]): ClientClass[] {
  const conditions = entries.filter((m) => (stringList(m.gateways) ?? []).length === 0 && (isRecord(m.sourceLabels) || (typeof m.sourceNamespace === 'string' && m.sourceNamespace !== '')));
  const sidecars = hidingSidecars(graph, vs, ports);
  if (conditions.length === 0 && sidecars.length === 0) return [{ members: ['the sidecars'], labels: {}, namespace: vs.namespace }];
  const exportTo = exportToOf(vs, graph.meshConfig).values;
  const seen = (ns: string) => exportedTo(exportTo, vs.namespace, ns);
  const named = [...new Set([
    ...conditions.flatMap((m) => (typeof m.sourceNamespace === 'string' && m.sourceNamespace !== '' ? [m.sourceNamespace] : [])),
    ...sidecars.map((s) => s.namespace),
  ])];
  const listed = exportTo.flatMap((v) => (v === '.' ? [vs.namespace] : v === '*' || v === '~' ? [] : [v]));
  const namespaces = exportTo.includes('*') ? [...named, OTHER_NAMESPACE] : [...new Set([...named.filter(seen), ...listed])];
  // Sidecar clients grouped by namespace and Sidecar, then the clients the input does not hold, each a group of its own.
  const groups: ClientGroup[] = [];
  for (const g of sidecarClientGroupsOf(graph)) if (seen(g.namespace)) groups.push(g);
  let index = sidecarClientsOf(graph).length;
  const labelSets: Readonly<Record<string, string>>[] = [{}];
  if (graph.workloads.inInput.length === 0) for (const m of conditions) if (isRecord(m.sourceLabels)) labelSets.push(stringMap(m.sourceLabels));
  for (const ns of namespaces) {
    for (const labels of labelSets) {
      const labelled = Object.keys(labels).length > 0 ? ` labelled ${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',')}` : '';
      const what = ns === OTHER_NAMESPACE ? `${labelled ? 'sidecars' : 'other sidecars'}${labelled}` : `sidecars${labelled} in namespace ${ns}`;
      groups.push({ namespace: ns, sidecar: sidecars.length === 0 ? null : sidecarOfClient(graph, { namespace: ns, labels }), clients: [{ what, labels, index: index++ }] });
    }
  }
  // Whether the clients import vs depends on their Sidecar and namespace only: judged once per pair.
  const importedBy = new Map<MeshObject | null, Map<string, string>>();
  const importedText = (sidecar: MeshObject | null, namespace: string) => {
    let byNamespace = importedBy.get(sidecar);
    if (!byNamespace) importedBy.set(sidecar, (byNamespace = new Map()));
    let text = byNamespace.get(namespace);
    if (text === undefined) byNamespace.set(namespace, (text = ports.map((p) => (virtualServiceImportedUnder(graph, vs, sidecar, namespace, p) ? '1' : '0')).join('')));
    return text;
  };
  // Clients with the same key are one class, named by its members in input order and judged as its first member.
  const classes = new Map<string, { first: GroupClient; namespace: string; chunks: (readonly GroupClient[])[] }>();
  const add = (key: string, namespace: string, clients: readonly GroupClient[]) => {
    const k = classes.get(key);
    if (!k) classes.set(key, { first: clients[0]!, namespace, chunks: [clients] });
    else {
      k.chunks.push(clients);
      if (clients[0]!.index < k.first.index) Object.assign(k, { first: clients[0]!, namespace });
    }
  };
  for (const g of groups) {
    const imported = sidecars.length === 0 ? '' : importedText(g.sidecar, g.namespace);
    // With no source condition, every client of the group has the same key.
    if (conditions.length === 0) add(`/${imported}`, g.namespace, g.clients);
    else for (const c of g.clients) add(`${conditions.map((m) => (sourceHolds(m, c.labels, g.namespace) ? '1' : '0')).join('')}/${imported}`, g.namespace, [c]);
  }
  // Members are listed when a message first names them: most classes are judged and never named.
  return [...classes.values()].sort((a, b) => a.first.index - b.first.index).map((k) => {
    let members: readonly string[] | undefined;
    return {
      get members() {
        return (members ??= (k.chunks.length === 1 ? k.chunks[0]! : k.chunks.flat().sort((a, b) => a.index - b.index)).map((c) => c.what));
      },
      labels: k.first.labels,
      namespace: k.namespace,
    };
  });
}

/** A sidecar client: its name in messages, its labels, and its place in input order (classes list members in it). */
interface GroupClient {
  readonly what: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly index: number;
}

/** Sidecar clients of one namespace under one Sidecar (null: none applies), in input order. */
interface ClientGroup {
  readonly namespace: string;
  readonly sidecar: MeshObject | null;
  readonly clients: readonly GroupClient[];
}

/** Per graph: {@link sidecarClientsOf} grouped by namespace and the Sidecar that applies to them. */
const CLIENT_GROUPS = new WeakMap<MeshGraph, readonly ClientGroup[]>();

function sidecarClientGroupsOf(graph: MeshGraph): readonly ClientGroup[] {
  let groups = CLIENT_GROUPS.get(graph);
  if (groups) return groups;
  const byKey = new Map<string, Map<MeshObject | null, GroupClient[]>>();
  sidecarClientsOf(graph).forEach((c, index) => {
    let bySidecar = byKey.get(c.namespace);
    if (!bySidecar) byKey.set(c.namespace, (bySidecar = new Map()));
    let list = bySidecar.get(c.sidecar);
    if (!list) bySidecar.set(c.sidecar, (list = []));
    list.push({ what: c.what, labels: c.labels, index });
  });
  const out: ClientGroup[] = [];
  for (const [namespace, bySidecar] of byKey) for (const [sidecar, clients] of bySidecar) out.push({ namespace, sidecar, clients });
  CLIENT_GROUPS.set(graph, (groups = out));
  return groups;
}

/** Per graph: the sidecar clients of the input ({@link sidecarClientsOf}); the same for every VirtualService judged. */
const SIDECAR_CLIENTS = new WeakMap<MeshGraph, readonly SidecarClient[]>();

/** A proxy of the input's workloads, the name messages give it, and the Sidecar that applies to it (null: none). */
interface SidecarClient {
  readonly what: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
  readonly sidecar: MeshObject | null;
}

/**
 * The proxies of the input's workloads whose pods get, or may get, a sidecar, each named for messages: one per
 * workload, but a StatefulSet pod that sourceLabels (or another selector) names by its per-pod labels is a proxy of
 * its own ({@link proxiesOfWorkload}). Computed once per graph: every mesh VirtualService's judgement reads it.
 */
function sidecarClientsOf(graph: MeshGraph): readonly SidecarClient[] {
  let clients = SIDECAR_CLIENTS.get(graph);
  if (clients) return clients;
  const out: SidecarClient[] = [];
  for (const w of graph.workloads.all) {
    const d = graph.membershipOf(w).dataplane;
    if (d !== 'sidecar' && d !== 'unknown') continue;
    const proxies = proxiesOfWorkload(graph, w);
    for (const p of proxies) {
      const pod = p.labels[LABEL_STATEFULSET_POD_NAME];
      const what = pod !== undefined ? ` pod ${pod}` : proxies.length > 1 ? ' (its other pods)' : '';
      out.push({ what: `${w.kind} ${w.namespace}/${w.name}${what}`, labels: p.labels, namespace: w.namespace, sidecar: sidecarOfClient(graph, { namespace: w.namespace, labels: p.labels }) });
    }
  }
  SIDECAR_CLIENTS.set(graph, (clients = out));
  return clients;
}

/** The Sidecars of the input that keep `vs` from the sidecars they apply to on one of `ports` (their egress hosts do not import it). */
function hidingSidecars(graph: MeshGraph, vs: MeshObject, ports: readonly number[]): MeshObject[] {
  return sidecarsInForce(graph).filter(({ sidecar, namespace, inForce }) => ports.some((p) => !virtualServiceImportedUnder(graph, vs, inForce, namespace, p))).map((s) => s.sidecar);
}

/** Per graph: each Sidecar of the input and the Sidecar in force for the sidecars it selects ({@link sidecarOfClient}). */
const IN_FORCE = new WeakMap<MeshGraph, readonly { sidecar: MeshObject; namespace: string; inForce: MeshObject | null }[]>();

function sidecarsInForce(graph: MeshGraph): readonly { sidecar: MeshObject; namespace: string; inForce: MeshObject | null }[] {
  let list = IN_FORCE.get(graph);
  if (!list) {
    IN_FORCE.set(graph, (list = graph.ofKind('Sidecar').map((sidecar) => {
      const labels = isRecord(sidecar.spec.workloadSelector) ? stringMap(sidecar.spec.workloadSelector.labels) : {};
      return { sidecar, namespace: sidecar.namespace, inForce: sidecarOfClient(graph, { namespace: sidecar.namespace, labels }) };
    })));
  }
  return list;
}

/** Istio sourceMatchHTTP for an entry without `gateways`: its `sourceLabels` are a subset of the client's, its `sourceNamespace` the client's. */
function sourceHolds(m: Rec, labels: Readonly<Record<string, string>>, namespace: string): boolean {
  const wanted = Object.entries(stringMap(m.sourceLabels));
  if (!wanted.every(([k, v]) => labels[k] === v)) return false;
  return typeof m.sourceNamespace !== 'string' || m.sourceNamespace === '' || m.sourceNamespace === namespace;
}

/** `port 8080`, `ports 8080, 9090`; {@link OTHER_PORT} reads `ports no match names`. */
export function portsText(ports: readonly number[]): string {
  const real = ports.filter((p) => p !== OTHER_PORT);
  const parts = [real.length > 0 ? `port${real.length > 1 ? 's' : ''} ${real.join(', ')}` : '', ports.includes(OTHER_PORT) ? `${real.length > 0 ? 'other ports' : 'ports no match names'}` : ''];
  return parts.filter(Boolean).join(' and ');
}

/** Up to three client names and a count of the rest: `Deployment shop/web, other sidecars and 2 more`. */
export function clientsText(classes: readonly ClientClass[]): string {
  const names = [...new Set(classes.flatMap((c) => c.members))];
  if (names.length === 0) return 'no client';
  if (names.length <= 3) return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}
