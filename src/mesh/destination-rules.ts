/**
 * Which DestinationRule a client uses for a host, as istiod computes it
 * (pilot/pkg/model `PushContext.destinationRule`, `mergeDestinationRule`):
 *
 * 1. Rules in the client's namespace, then rules exported by the service's namespace, then rules
 *    exported by the root namespace; the first namespace with a rule for the most specific host wins.
 *    For a client in the root namespace only the root's private rules count as its own namespace's.
 * 2. Within a namespace the most specific host wins (exact, then the longest wildcard).
 * 3. Several rules for the same host in one namespace are merged in Istio's config order
 *    (creation time, then name) only when their `exportTo` sets (as written) are equal, or the later
 *    one's includes the earlier one's (`ENABLE_ENHANCED_DESTINATIONRULE_MERGE`, on by default): subsets
 *    are concatenated, a later subset with a name already taken is dropped; the first top-level
 *    `trafficPolicy` wins. Rules that are not merged stay apart, and each client takes the last of those
 *    visible to it.
 * 4. Rules with a `workloadSelector` (exported to their own namespace only) come first and apply only to
 *    the client workloads they select; one selecting the client wins over the namespace-wide rules.
 *
 * Not modelled: `ENABLE_DESTINATION_RULE_INHERITANCE` (off by default in Istio).
 */
import type { FieldPath } from './types.js';
import { isWildcard, resolveHost, wildcardsCovering } from './hosts.js';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from './mesh-config.js';
import { isRecord, stringMap, type MeshObject } from './object.js';
import { selects } from './services.js';
import { isBackendPolicyDestinationRule } from './gateway-api-backend-tls.js';

/** Where a DestinationRule lookup found its rules (Istio's order). */
export type DestinationRuleScope = 'client-namespace' | 'service-namespace' | 'root-namespace';

/** A value in a merged rule and where it came from. */
export interface Sourced<T> {
  readonly value: T;
  readonly object: MeshObject;
  readonly path: FieldPath;
}

/** A subset of a merged DestinationRule. */
export interface MergedSubset {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The subset's own `trafficPolicy`, when set. */
  readonly trafficPolicy: Readonly<Record<string, unknown>> | null;
  readonly object: MeshObject;
  /** `['spec','subsets',i]`. */
  readonly path: FieldPath;
}

/** The DestinationRule a client uses for a host: one or more rules merged the way istiod merges them. */
export interface MergedDestinationRule {
  readonly scope: DestinationRuleScope;
  readonly namespace: string;
  /** The host the rules were written for (resolved; the most specific match). */
  readonly host: string;
  /** Contributing rules in merge order (workload-selected first, then creation time, then name). */
  readonly rules: readonly MeshObject[];
  /** The first top-level `trafficPolicy` in merge order, or null. */
  readonly trafficPolicy: Sourced<Readonly<Record<string, unknown>>> | null;
  readonly subsets: readonly MergedSubset[];
  /** Subsets dropped because an earlier rule already defines the name (Istio metric `pilot_duplicated_subsets`). */
  readonly duplicateSubsets: readonly MergedSubset[];
}

/** Istio's config order: creation timestamp, then name, then namespace. Objects without a timestamp sort as equal times. */
export function configOrder(a: MeshObject, b: MeshObject): number {
  const ta = creationTime(a);
  const tb = creationTime(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;
}

/** `metadata.creationTimestamp` (RFC 3339, so strings sort as times); '' when absent, which sorts first. */
export function creationTime(o: MeshObject): string {
  const meta = o.body.metadata;
  return isRecord(meta) && typeof meta.creationTimestamp === 'string' ? meta.creationTimestamp : '';
}

/** Merges rules for one host in one namespace (`mergeDestinationRule`). */
export function mergeDestinationRules(scope: DestinationRuleScope, namespace: string, host: string, rules: readonly MeshObject[]): MergedDestinationRule {
  let trafficPolicy: MergedDestinationRule['trafficPolicy'] = null;
  const subsets: MergedSubset[] = [];
  const duplicateSubsets: MergedSubset[] = [];
  const names = new Set<string>();
  // istiod tells the rules it generates from backend policies (BackendTLSPolicy) by their annotation: between
  // rules of the same origin the first traffic policy wins; between a user's and a generated one, the user's
  // fields win and the generated one fills the gaps, whichever came first. The merged rule keeps the first
  // rule's origin (`isBackendPolicyDestinationRule` of the consolidated rule).
  const firstGenerated = rules.length > 0 && isBackendPolicyDestinationRule(rules[0]!);
  for (const o of rules) {
    const tp = isRecord(o.spec.trafficPolicy) ? o.spec.trafficPolicy : null;
    const generated = isBackendPolicyDestinationRule(o);
    const merged = trafficPolicy as MergedDestinationRule['trafficPolicy'];
    if (tp !== null && merged === null) trafficPolicy = { value: tp, object: o, path: ['spec', 'trafficPolicy'] };
    else if (tp !== null && merged !== null && generated !== firstGenerated) {
      trafficPolicy = generated
        ? { value: mergeBackendPolicyTrafficPolicy(merged.value, tp), object: merged.object, path: merged.path }
        : { value: mergeBackendPolicyTrafficPolicy(tp, merged.value), object: o, path: ['spec', 'trafficPolicy'] };
    }
    (Array.isArray(o.spec.subsets) ? o.spec.subsets : []).forEach((s, i) => {
      if (!isRecord(s) || typeof s.name !== 'string') return;
      const subset: MergedSubset = {
        name: s.name, labels: stringMap(s.labels), trafficPolicy: isRecord(s.trafficPolicy) ? s.trafficPolicy : null, object: o, path: ['spec', 'subsets', i],
      };
      if (names.has(s.name)) duplicateSubsets.push(subset);
      else {
        names.add(s.name);
        subsets.push(subset);
      }
    });
  }
  return { scope, namespace, host, rules, trafficPolicy, subsets, duplicateSubsets };
}

/** The top-level fields `MergeTrafficPolicy` lets a user's rule override (`ShallowCopyTrafficPolicy` keeps them). */
const MERGED_POLICY_FIELDS = ['connectionPool', 'outlierDetection', 'loadBalancer', 'tls', 'tunnel', 'proxyProtocol', 'retryBudget'] as const;

/**
 * istiod `mergeBackendPolicyTrafficPolicy`: a traffic policy generated from backend policies under a user's:
 * the user's fields win, the generated one fills the fields the user leaves unset; port-level settings of a port
 * both set merge field by field (loadBalancer, connectionPool, outlierDetection, tls), ports only the generated
 * one sets are appended after the user's.
 */
export function mergeBackendPolicyTrafficPolicy(user: Readonly<Record<string, unknown>>, backend: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of MERGED_POLICY_FIELDS) {
    const v = user[k] ?? backend[k];
    if (v !== undefined && v !== null) out[k] = v;
  }
  const userPorts = Array.isArray(user.portLevelSettings) ? user.portLevelSettings.filter(isRecord) : [];
  const backendPorts = Array.isArray(backend.portLevelSettings) ? backend.portLevelSettings.filter(isRecord) : [];
  const numberOf = (p: Readonly<Record<string, unknown>>): unknown => (isRecord(p.port) ? p.port.number : undefined) ?? 0;
  const ports: Record<string, unknown>[] = userPorts.map((p) => ({ ...p }));
  for (const bp of backendPorts) {
    const up = ports.find((p) => numberOf(p) === numberOf(bp));
    if (!up) { ports.push(bp); continue; }
    for (const k of ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const) if (up[k] === undefined || up[k] === null) if (bp[k] !== undefined) up[k] = bp[k];
  }
  if (ports.length > 0 || user.portLevelSettings !== undefined) out.portLevelSettings = backendPorts.length === 0 ? user.portLevelSettings : ports;
  return out;
}

/**
 * One consolidated rule (`ConsolidatedDestRule`): the rules for one host of one namespace merged into the first
 * of them, keyed by that first rule's raw `exportTo` set and `workloadSelector`.
 */
export interface Consolidated {
  readonly host: string;
  /** The first rule's `spec.exportTo` as written (`{"."}` for a rule with a workloadSelector); empty when unset. */
  readonly exportTo: ReadonlySet<string>;
  /** The first rule's `workloadSelector.matchLabels`, or null. */
  readonly selector: Readonly<Record<string, string>> | null;
  /** The rules merged into it (`from`), merge order. */
  readonly rules: readonly MeshObject[];
}

/**
 * One of istiod's DestinationRule indexes for one namespace (`destinationRuleIndex`): `namespace-local` (what
 * clients in that namespace, outside the root namespace, look up first), `exported` (what other namespaces
 * look up there, filtered by each consolidated rule's exportTo), `root-local` (the root namespace's private
 * rules, what clients in the root namespace look up first).
 */
export interface ConsolidatedHost {
  readonly index: 'namespace-local' | 'exported' | 'root-local';
  readonly namespace: string;
  /** The host as the rules declare it (resolved). */
  readonly host: string;
  /** The consolidated rules for the host, in istiod's order. */
  readonly entries: readonly Consolidated[];
}

interface Incoming {
  readonly host: string;
  readonly object: MeshObject;
  readonly exportTo: ReadonlySet<string>;
  readonly selector: Readonly<Record<string, string>> | null;
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => a.size === b.size && [...a].every((v) => b.has(v));
const superset = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => [...b].every((v) => a.has(v));
const sameLabels = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => Object.hasOwn(b, k) && a[k] === b[k]);

type MutableConsolidated = Consolidated & { readonly rules: MeshObject[] };

/** One of istiod's `consolidatedDestRules` indexes: consolidated rules by exact host and by wildcard host. */
class ConsolidatedIndex {
  private readonly specific = new Map<string, MutableConsolidated[]>();
  private readonly wildcard = new Map<string, MutableConsolidated[]>();

  /** Every host with its consolidated rules: exact hosts, then wildcard ones. */
  hosts(): IterableIterator<[string, readonly Consolidated[]]> {
    return [...this.specific, ...this.wildcard][Symbol.iterator]();
  }

  /**
   * `mergeDestinationRule` with `ENABLE_ENHANCED_DESTINATIONRULE_MERGE` (Istio's default), step for step:
   * the incoming rule merges into each consolidated rule of its host whose exportTo set equals its own, or,
   * when that set is not empty, is a subset of its own; not into one whose workloadSelector differs from
   * its own (both set). It is kept as a consolidated rule of its own unless the last of those rules it met
   * said otherwise: `appendSeparately` is overwritten on every pass, so a rule without selector merged into
   * a selector rule of the same exportTo is not kept apart (istio/istio#58322: clients the selector does not
   * pick lose it), and a wider exportTo merged into a narrower one without selectors is kept only there.
   */
  merge(e: Incoming): void {
    const table = isWildcard(e.host) ? this.wildcard : this.specific;
    const list = table.get(e.host);
    const own = (): MutableConsolidated => ({ host: e.host, exportTo: e.exportTo, selector: e.selector, rules: [e.object] });
    if (!list) {
      table.set(e.host, [own()]);
      return;
    }
    let appendSeparately = true;
    for (const c of list) {
      if (sameSet(e.exportTo, c.exportTo)) appendSeparately = false;
      else if (c.exportTo.size > 0 && superset(e.exportTo, c.exportTo)) appendSeparately = true;
      else {
        appendSeparately = true;
        continue;
      }
      const bothWithout = e.selector === null && c.selector === null;
      const bothWith = e.selector !== null && c.selector !== null;
      if (bothWith && !sameLabels(e.selector!, c.selector!)) {
        appendSeparately = true;
        continue;
      }
      if (bothWithout || bothWith) appendSeparately = false;
      c.rules.push(e.object);
    }
    if (appendSeparately) list.push(own());
  }

  /**
   * `MostSpecificHostMatch`: the consolidated rules of the exact host, else of the longest wildcard covering
   * it (a wildcard `needle` matches wildcard hosts only); null when none.
   */
  mostSpecific(needle: string): readonly Consolidated[] | null {
    if (!isWildcard(needle)) {
      const exact = this.specific.get(needle);
      if (exact) return exact;
    }
    for (const w of isWildcard(needle) ? [needle, ...wildcardsCovering(needle)] : wildcardsCovering(needle)) {
      const hit = this.wildcard.get(w);
      if (hit) return hit;
    }
    return null;
  }
}

/** The raw exportTo set istiod keys consolidation on (`setDestinationRules`): `{"."}` for a rule with a workloadSelector. */
function exportToSet(o: MeshObject, selector: Readonly<Record<string, string>> | null): ReadonlySet<string> {
  if (selector !== null) return new Set(['.']);
  return new Set(Array.isArray(o.spec.exportTo) ? o.spec.exportTo.filter((v): v is string => typeof v === 'string') : []);
}

/**
 * Every DestinationRule, consolidated as istiod's `setDestinationRules` does, answering
 * `PushContext.destinationRule` and then `SidecarScope.DestinationRule`:
 *
 * - Rules sort with workloadSelector ones first, then generated ones (no creation time), then config order.
 * - `namespaceLocal[ns]` holds the rules of `ns` visible there (exportTo unset, `*`, `.` or naming `ns`);
 *   `exportedByNamespace[ns]` those not private to `ns` (exportTo unset and MeshConfig's default not `.`,
 *   or anything but a lone `.` or `ns`); `rootNamespaceLocal` the root namespace's private ones. Each merges
 *   rules of one host separately (see {@link ConsolidatedIndex.merge}).
 * - A client outside the root namespace takes its namespace's local rules for the most specific host; a client
 *   in it the root's private ones. Else the service namespace's exported rules for the most specific host
 *   there, those exported to the client (unset, `*` or its name); else the root namespace's likewise. A most
 *   specific host with nothing exported to the client does not fall back to a less specific one.
 * - Of that list the client takes the first rule of its own namespace whose workloadSelector selects it, else
 *   the last rule without selector, else none.
 */
export class DestinationRuleResolver {
  private readonly namespaceLocal = new Map<string, ConsolidatedIndex>();
  private readonly exportedByNamespace = new Map<string, ConsolidatedIndex>();
  private readonly rootNamespaceLocal = new ConsolidatedIndex();
  /** `lookup`'s answers by question (cleared past 100,000: bounded whatever the callers ask). */
  private readonly answers = new Map<string, MergedDestinationRule | null>();
  /** The merged rule of each consolidated rule, per scope: one object per answer, whoever asks. */
  private readonly merged = new WeakMap<Consolidated, Map<DestinationRuleScope, MergedDestinationRule>>();
  /** Whether a rule has a `workloadSelector` (else the client's labels cannot change an answer). */
  private selectorRules = false;

  constructor(rules: Iterable<MeshObject>, private readonly domain: string, private readonly meshConfig: MeshConfig = DEFAULT_MESH_CONFIG) {
    const selectorOf = (o: MeshObject): Readonly<Record<string, string>> | null => {
      const ws = isRecord(o.spec.workloadSelector) ? stringMap(o.spec.workloadSelector.matchLabels) : null;
      return ws && Object.keys(ws).length > 0 ? ws : null;
    };
    // sortConfigBySelectorAndCreationTime; rules istiod generates from backend policies have no creation
    // time, so they sort before every user rule of a cluster.
    const order = (a: MeshObject, b: MeshObject): number =>
      Number(selectorOf(b) !== null) - Number(selectorOf(a) !== null)
      || Number(isBackendPolicyDestinationRule(b)) - Number(isBackendPolicyDestinationRule(a))
      || configOrder(a, b);
    const defaultPrivate = this.meshConfig.defaultDestinationRuleExportTo.includes('.');
    const root = this.meshConfig.rootNamespace;
    const indexIn = (m: Map<string, ConsolidatedIndex>, ns: string): ConsolidatedIndex => {
      let t = m.get(ns);
      if (!t) m.set(ns, (t = new ConsolidatedIndex()));
      return t;
    };
    for (const o of [...rules].sort(order)) {
      if (typeof o.spec.host !== 'string' || o.spec.host === '') continue;
      const selector = selectorOf(o);
      if (selector) this.selectorRules = true;
      const exportTo = exportToSet(o, selector);
      const e: Incoming = { host: resolveHost(o.spec.host, o.namespace, domain).fqdn, object: o, exportTo, selector };
      if (exportTo.size === 0 || exportTo.has('*') || exportTo.has('.') || exportTo.has(o.namespace)) indexIn(this.namespaceLocal, o.namespace).merge(e);
      const privateOnly = (exportTo.size === 0 && defaultPrivate) || (exportTo.size === 1 && (exportTo.has('.') || exportTo.has(o.namespace)));
      if (!privateOnly) indexIn(this.exportedByNamespace, o.namespace).merge(e);
      else if (o.namespace === root) this.rootNamespaceLocal.merge(e);
    }
  }

  /** Every consolidated host of every index, as istiod's `setDestinationRules` leaves them. */
  *consolidated(): IterableIterator<ConsolidatedHost> {
    for (const [namespace, index] of this.namespaceLocal) for (const [host, entries] of index.hosts()) yield { index: 'namespace-local', namespace, host, entries };
    for (const [namespace, index] of this.exportedByNamespace) for (const [host, entries] of index.hosts()) yield { index: 'exported', namespace, host, entries };
    for (const [host, entries] of this.rootNamespaceLocal.hosts()) yield { index: 'root-local', namespace: this.meshConfig.rootNamespace, host, entries };
  }

  /**
   * The DestinationRule a client in `clientNamespace` (pod labels `clientLabels`, when known; unknown labels
   * select no workloadSelector rule) uses for `fqdn` (resolved), whose service lives in `serviceNamespace`
   * (null when unknown).
   */
  lookup(fqdn: string, clientNamespace: string, serviceNamespace: string | null, clientLabels?: Readonly<Record<string, string>>): MergedDestinationRule | null {
    // Once per question: the rules never change, and the same merged object for the same question
    // lets caches keyed on it (cluster policies, rule views) hold across proxies and carried graphs.
    const key = `${fqdn}\u0000${clientNamespace}\u0000${serviceNamespace ?? ''}\u0000${clientLabels && this.selectorRules ? JSON.stringify(Object.entries(clientLabels).sort()) : ''}`;
    if (this.answers.has(key)) return this.answers.get(key)!;
    if (this.answers.size >= 100_000) this.answers.clear();
    const answer = this.lookupUncached(fqdn, clientNamespace, serviceNamespace, clientLabels);
    this.answers.set(key, answer);
    return answer;
  }

  private lookupUncached(fqdn: string, clientNamespace: string, serviceNamespace: string | null, clientLabels?: Readonly<Record<string, string>>): MergedDestinationRule | null {
    const root = this.meshConfig.rootNamespace;
    const local = clientNamespace === root ? this.rootNamespaceLocal : this.namespaceLocal.get(clientNamespace);
    const own = local?.mostSpecific(fqdn);
    if (own) return this.pick(own, 'client-namespace', clientNamespace, clientLabels);
    const exported = (ns: string): Consolidated[] => {
      const all = this.exportedByNamespace.get(ns)?.mostSpecific(fqdn) ?? [];
      return all.filter((c) => c.exportTo.size === 0 || c.exportTo.has('*') || c.exportTo.has(clientNamespace));
    };
    if (serviceNamespace !== null && serviceNamespace !== '') {
      const found = exported(serviceNamespace);
      if (found.length > 0) return this.pick(found, 'service-namespace', clientNamespace, clientLabels);
    }
    const fromRoot = exported(root);
    return fromRoot.length > 0 ? this.pick(fromRoot, 'root-namespace', clientNamespace, clientLabels) : null;
  }

  /** `SidecarScope.DestinationRule` (outbound): the first selector rule of the client's namespace that selects it, else the last rule without selector. */
  private pick(list: readonly Consolidated[], scope: DestinationRuleScope, clientNamespace: string, clientLabels: Readonly<Record<string, string>> | undefined): MergedDestinationRule | null {
    let catchAll: Consolidated | null = null;
    for (const c of list) {
      if (c.selector === null) catchAll = c;
      else if (c.rules[0]!.namespace === clientNamespace && clientLabels !== undefined && selects(c.selector, clientLabels)) return this.mergedOf(c, scope);
    }
    return catchAll && this.mergedOf(catchAll, scope);
  }

  private mergedOf(c: Consolidated, scope: DestinationRuleScope): MergedDestinationRule {
    let byScope = this.merged.get(c);
    if (!byScope) this.merged.set(c, (byScope = new Map()));
    let m = byScope.get(scope);
    if (!m) byScope.set(scope, (m = mergeDestinationRules(scope, c.rules[0]!.namespace, c.host, c.rules)));
    return m;
  }
}
