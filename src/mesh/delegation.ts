/**
 * VirtualService delegation as istiod merges it (pilot/pkg/model/virtualservice.go
 * `mergeVirtualServicesIfNeeded`, `mergeHTTPRoute`, `mergeHTTPMatchRequests`, `hasConflict`):
 * which root rules a delegate is merged into, and which delegate rules a root's match drops.
 */
import type { MeshGraph } from './graph.js';
import { isRecord, stringList, stringMap, type MeshObject } from './object.js';
import { gatewayRefOf } from './routing.js';
import { exportedTo, exportToOf } from './visibility.js';

type Rec = Readonly<Record<string, unknown>>;

/** One root `spec.http[index]` whose `delegate` istiod merges `delegate` into. */
export interface Delegation {
  readonly root: MeshObject;
  readonly index: number;
  readonly rule: Rec;
  readonly delegate: MeshObject;
}

const CACHE = new WeakMap<MeshGraph, Map<string, Delegation[]>>();

/**
 * The root rules merged with `delegate` (a VirtualService without hosts): those whose `delegate`
 * names it (namespace defaulting to the root's) and whose namespace its exportTo includes. istiod
 * skips the others ("not found", "is not exported to"): routing/delegate-target reports them.
 * Indexed once per graph.
 */
export function delegationsInto(graph: MeshGraph, delegate: MeshObject): readonly Delegation[] {
  let index = CACHE.get(graph);
  if (!index) CACHE.set(graph, (index = indexDelegations(graph)));
  return index.get(`${delegate.namespace}/${delegate.name}`) ?? [];
}

function indexDelegations(graph: MeshGraph): Map<string, Delegation[]> {
  const out = new Map<string, Delegation[]>();
  for (const root of graph.ofKind('VirtualService')) {
    if ((stringList(root.spec.hosts) ?? []).length === 0 || !Array.isArray(root.spec.http)) continue;
    root.spec.http.forEach((rule, index) => {
      if (!isRecord(rule) || !isRecord(rule.delegate) || typeof rule.delegate.name !== 'string') return;
      const ns = typeof rule.delegate.namespace === 'string' && rule.delegate.namespace !== '' ? rule.delegate.namespace : root.namespace;
      const delegate = graph.get('VirtualService', ns, rule.delegate.name);
      if (!delegate || (stringList(delegate.spec.hosts) ?? []).length > 0) return;
      if (!exportedTo(exportToOf(delegate, graph.meshConfig).values, delegate.namespace, root.namespace)) return;
      const key = `${ns}/${rule.delegate.name}`;
      out.set(key, [...(out.get(key) ?? []), { root, index, rule, delegate }]);
    });
  }
  return out;
}

/** A delegate rule istiod drops for one root rule: its first match entry that no root match admits, and why. */
export interface DroppedDelegateRule {
  /** Index of the offending entry in the delegate rule's `match`. */
  readonly match: number;
  /** Per root match entry, why it does not admit that entry (Istio `hasConflict`). */
  readonly reasons: readonly string[];
}

/**
 * Whether merging delegate rule `leaf` under root rule `root` fails (Istio `mergeHTTPMatchRequests`:
 * each delegate match entry needs a root entry it does not conflict with, else the whole delegate rule
 * is dropped); null when it merges (either side without `match` always does).
 */
export function droppedDelegateRule(root: Rec, rootNamespace: string, leaf: Rec, leafNamespace: string): DroppedDelegateRule | null {
  const roots = Array.isArray(root.match) ? root.match.filter(isRecord) : [];
  const leaves = Array.isArray(leaf.match) ? leaf.match : [];
  if (roots.length === 0 || leaves.length === 0) return null;
  for (let k = 0; k < leaves.length; k++) {
    const m = leaves[k];
    if (!isRecord(m)) continue;
    const reasons = roots.map((r) => matchConflict(r, rootNamespace, m, leafNamespace));
    if (reasons.every((r) => r !== null)) return { match: k, reasons: reasons as string[] };
  }
  return null;
}

/** Why delegate match `leaf` does not lie within root match `root` (Istio `hasConflict`), or null when it does. */
export function matchConflict(root: Rec, rootNamespace: string, leaf: Rec, leafNamespace: string): string | null {
  for (const k of ['uri', 'scheme', 'method', 'authority'] as const) {
    const why = stringMatchConflict(root[k], leaf[k]);
    if (why) return `${k} ${why}`;
  }
  for (const k of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    const r = isRecord(root[k]) ? root[k] : {};
    const l = isRecord(leaf[k]) ? leaf[k] : {};
    for (const key of Object.keys(l)) {
      const why = stringMatchConflict(r[key], l[key]);
      if (why) return `${k}.${key} ${why}`;
    }
  }
  if ((root.ignoreUriCase === true) !== (leaf.ignoreUriCase === true)) return 'ignoreUriCase differs (it must be the same on both)';
  if (typeof root.port === 'number' && root.port > 0 && typeof leaf.port === 'number' && leaf.port > 0 && root.port !== leaf.port) return `port ${leaf.port} is not the root's port ${root.port}`;
  if (typeof root.sourceNamespace === 'string' && root.sourceNamespace !== '' && leaf.sourceNamespace !== root.sourceNamespace) {
    return `sourceNamespace must repeat the root's "${root.sourceNamespace}"${typeof leaf.sourceNamespace === 'string' ? ` (got "${leaf.sourceNamespace}")` : ''}`;
  }
  const rootLabels = isRecord(root.sourceLabels) ? stringMap(root.sourceLabels) : {};
  for (const [key, v] of Object.entries(isRecord(leaf.sourceLabels) ? stringMap(leaf.sourceLabels) : {})) {
    if (key in rootLabels && rootLabels[key] !== v) return `sourceLabels.${key} "${v}" is not the root's "${rootLabels[key]}"`;
  }
  const rootGateways = (stringList(root.gateways) ?? []).map((g) => gatewayRefOf(g, rootNamespace, []).key);
  const leafGateways = (stringList(leaf.gateways) ?? []).map((g) => gatewayRefOf(g, leafNamespace, []).key);
  if (rootGateways.length > 0 && leafGateways.length > 0) {
    const outside = leafGateways.filter((g) => !rootGateways.includes(g));
    if (rootGateways.length < leafGateways.length || outside.length > 0) return `gateways ${JSON.stringify(leafGateways)} are not all among the root's ${JSON.stringify(rootGateways)}`;
  }
  return null;
}

/** Istio `stringMatchConflict` on raw StringMatch objects (a Go empty string counts as unset). */
function stringMatchConflict(root: unknown, leaf: unknown): string | null {
  if (!isRecord(root) || !isRecord(leaf)) return null;
  const get = (m: Rec, k: 'exact' | 'prefix' | 'regex') => (typeof m[k] === 'string' ? (m[k] as string) : '');
  const [re, rp, rr] = [get(root, 'exact'), get(root, 'prefix'), get(root, 'regex')];
  const [le, lp, lr] = [get(leaf, 'exact'), get(leaf, 'prefix'), get(leaf, 'regex')];
  const shown = (m: Rec) => describe(get(m, 'exact'), get(m, 'prefix'), get(m, 'regex'));
  if (rr !== '' && (lr !== '' || lp !== '' || le !== '')) return `${shown(leaf)} under the root's regex "${rr}": a root regex admits no delegate condition on the same field`;
  if (lr !== '' && (rr !== '' || rp !== '' || re !== '')) return `regex "${lr}" under the root's ${shown(root)}: a delegate regex is allowed only where the root sets none`;
  if (re !== '') return lp !== '' || le !== re ? `${shown(leaf)} is not the root's exact "${re}"` : null;
  if (rp !== '') {
    if (lp !== '') return lp.startsWith(rp) ? null : `prefix "${lp}" is not within the root's prefix "${rp}"`;
    if (le !== '') return le.startsWith(rp) ? null : `exact "${le}" is not within the root's prefix "${rp}"`;
  }
  return `${shown(leaf)} cannot be compared with the root's ${shown(root)}`;
}

function describe(exact: string, prefix: string, regex: string): string {
  return exact !== '' ? `exact "${exact}"` : prefix !== '' ? `prefix "${prefix}"` : regex !== '' ? `regex "${regex}"` : 'an empty match';
}

/** One delegate rule as istiod merges it in place of a root rule: the delegate rule and its merged match entries. */
export interface MergedDelegateRule {
  readonly delegate: MeshObject;
  /** Index of the rule in the delegate's `spec.http`. */
  readonly index: number;
  readonly rule: Rec;
  /** The merged `match` entries (empty: matches every request). */
  readonly matches: readonly Rec[];
}

/**
 * The rules istiod puts in place of root rule `rule` (one with `delegate`) of VirtualService `root`
 * (mergeVirtualServicesIfNeeded / mergeHTTPRoute): each delegate http rule not dropped for a match conflict,
 * with its match entries merged under the root's (mergeHTTPMatchRequests: a delegate entry is combined with
 * every root entry it lies within, the delegate's fields winning, headers / queryParams / withoutHeaders /
 * sourceLabels joined). [] when the delegate does not exist, declares hosts or is not exported to the root's
 * namespace (istiod then drops the root rule); null when `rule` does not delegate.
 */
export function mergedDelegateRules(graph: MeshGraph, root: MeshObject, rule: Rec): MergedDelegateRule[] | null {
  if (!isRecord(rule.delegate) || typeof rule.delegate.name !== 'string') return null;
  const ns = typeof rule.delegate.namespace === 'string' && rule.delegate.namespace !== '' ? rule.delegate.namespace : root.namespace;
  const delegate = graph.get('VirtualService', ns, rule.delegate.name);
  if (!delegate || (stringList(delegate.spec.hosts) ?? []).length > 0 || !Array.isArray(delegate.spec.http)) return [];
  if (!exportedTo(exportToOf(delegate, graph.meshConfig).values, delegate.namespace, root.namespace)) return [];
  const roots = Array.isArray(rule.match) ? rule.match.filter(isRecord) : [];
  const out: MergedDelegateRule[] = [];
  delegate.spec.http.forEach((leaf, index) => {
    if (!isRecord(leaf) || droppedDelegateRule(rule, root.namespace, leaf, delegate.namespace)) return;
    const leaves = Array.isArray(leaf.match) ? leaf.match.filter(isRecord) : [];
    out.push({ delegate, index, rule: leaf, matches: mergedMatchEntries(roots, root.namespace, leaves, delegate.namespace).map((e) => e.match) });
  });
  return out;
}

/** One match entry of a merged delegate rule, with the entries it came from. */
export interface MergedMatchEntry {
  /** The merged `HTTPMatchRequest`; its `gateways` resolved to `namespace/name` or `mesh` (`gatewayRefOf`), whichever side they came from. */
  readonly match: Rec;
  /** Index in the root rule's `match` of the entry merged in; null when the root rule has none. */
  readonly root: number | null;
  /** Index in the delegate rule's `match` of the entry merged in; null when the delegate rule has none. */
  readonly leaf: number | null;
}

/**
 * The match entries istiod gives a delegate rule merged under a root rule (`mergeHTTPMatchRequests`):
 * the delegate's when the root has none, the root's when the delegate has none, else every (delegate
 * entry, root entry) pair without a conflict (`matchConflict`, Istio `hasConflict`), delegate entry
 * first, merged (`mergeHTTPMatchRequest`). `roots` and `leaves` are the raw entries (non-records
 * left out by the caller). Call it only when `droppedDelegateRule` is null: a delegate entry without
 * a root entry it lies within drops the whole rule instead.
 */
export function mergedMatchEntries(roots: readonly Rec[], rootNamespace: string, leaves: readonly Rec[], leafNamespace: string): MergedMatchEntry[] {
  const resolved = (m: Rec, namespace: string): Rec => {
    const gateways = stringList(m.gateways);
    return gateways && gateways.length > 0 ? { ...m, gateways: gateways.map((g) => gatewayRefOf(g, namespace, []).key) } : m;
  };
  if (roots.length === 0) return leaves.map((m, k) => ({ match: resolved(m, leafNamespace), root: null, leaf: k }));
  if (leaves.length === 0) return roots.map((m, j) => ({ match: resolved(m, rootNamespace), root: j, leaf: null }));
  const out: MergedMatchEntry[] = [];
  leaves.forEach((m, k) => {
    roots.forEach((r, j) => {
      if (matchConflict(r, rootNamespace, m, leafNamespace) === null) out.push({ match: mergeMatch(resolved(r, rootNamespace), resolved(m, leafNamespace)), root: j, leaf: k });
    });
  });
  return out;
}

const JOINED = new Set(['headers', 'queryParams', 'withoutHeaders', 'sourceLabels']);

/**
 * A delegate match entry combined with the root entry it lies within (Istio `mergeHTTPMatchRequest`):
 * the delegate's fields win, keyed maps are joined (the delegate's keys winning); a field the
 * delegate leaves unset or at Go's zero value (`port: 0`, `sourceNamespace: ""`, `gateways: []`)
 * takes the root's; the names join as `<root>-<delegate>`.
 */
function mergeMatch(root: Rec, leafWithNulls: Rec): Rec {
  // A field written `null` is unset: the API server prunes nulls of non-nullable CRD fields, so istiod never sees them.
  const leaf = Object.fromEntries(Object.entries(leafWithNulls).filter(([, v]) => v !== null));
  const out: Record<string, unknown> = { ...root, ...leaf };
  for (const k of JOINED) if (isRecord(root[k]) && isRecord(leaf[k])) out[k] = { ...root[k], ...leaf[k] };
  const unset = (v: unknown) => v === undefined || v === null || v === 0 || v === '' || (Array.isArray(v) && v.length === 0);
  for (const k of ['gateways', 'port', 'sourceNamespace', 'statPrefix'] as const) if (unset(leaf[k]) && root[k] !== undefined) out[k] = root[k];
  if (typeof root.name === 'string' && root.name !== '' && typeof leaf.name === 'string' && leaf.name !== '') out.name = `${root.name}-${leaf.name}`;
  else if (typeof leaf.name !== 'string' || leaf.name === '') out.name = root.name;
  if (out.name === undefined) delete out.name;
  return out;
}
