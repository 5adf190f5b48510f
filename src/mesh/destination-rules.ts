/**
 * Which DestinationRule a client uses for a host, as istiod computes it
 * (pilot/pkg/model `PushContext.destinationRule`, `mergeDestinationRule`):
 *
 * 1. Rules in the client's namespace, then rules exported by the service's namespace, then rules
 *    exported by the root namespace; the first namespace with a matching rule wins.
 * 2. Within a namespace the most specific host wins (exact, then the longest wildcard).
 * 3. Several rules for the same host in one namespace are merged in Istio's config order
 *    (creation time, then name): subsets are concatenated, a later subset with a name already
 *    taken is dropped; the first top-level `trafficPolicy` wins; the first explicit exportTo wins.
 * 4. Rules with a `workloadSelector` apply only to the client workloads they select, and come
 *    before the namespace-wide rules of the client namespace when merging.
 *
 * Not modelled: `ENABLE_DESTINATION_RULE_INHERITANCE` (off by default in Istio).
 */
import type { FieldPath } from './types.js';
import { isWildcard, resolveHost, wildcardsCovering, hostsIntersect } from './hosts.js';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from './mesh-config.js';
import { isRecord, stringMap, type MeshObject } from './object.js';
import { push, selects } from './services.js';
import { exportToOf, exportedTo } from './visibility.js';
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

interface Entry {
  readonly host: string;
  readonly object: MeshObject;
  readonly exportTo: readonly string[];
  readonly selector: Readonly<Record<string, string>> | null;
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

/** Rules of one namespace, indexed by exact host and wildcard host. */
class NamespaceRules {
  readonly exact = new Map<string, Entry[]>();
  readonly wildcard = new Map<string, Entry[]>();
  readonly all: Entry[] = [];

  add(e: Entry): void {
    this.all.push(e);
    push(isWildcard(e.host) ? this.wildcard : this.exact, e.host, e);
  }

  /** Entries for the most specific host that covers `fqdn` and passes `keep`, or []. */
  mostSpecific(fqdn: string, keep: (e: Entry) => boolean): Entry[] {
    if (isWildcard(fqdn)) {
      const hits = this.all.filter((e) => hostsIntersect(e.host, fqdn) && keep(e));
      const host = hits[0]?.host;
      return hits.filter((e) => e.host === host);
    }
    for (const group of [this.exact.get(fqdn), ...wildcardsCovering(fqdn).map((w) => this.wildcard.get(w))]) {
      const kept = (group ?? []).filter(keep);
      if (kept.length > 0) return kept;
    }
    return [];
  }
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

/** Every DestinationRule, indexed per namespace, answering `PushContext.destinationRule`. */
export class DestinationRuleResolver {
  private readonly byNamespace = new Map<string, NamespaceRules>();
  /** `lookup`'s answers by question (cleared past 100,000: bounded whatever the callers ask). */
  private readonly answers = new Map<string, MergedDestinationRule | null>();
  /** Whether a rule has a `workloadSelector` (else the client's labels cannot change an answer). */
  private selectorRules = false;

  constructor(rules: Iterable<MeshObject>, private readonly domain: string, private readonly meshConfig: MeshConfig = DEFAULT_MESH_CONFIG) {
    // Rules istiod generates from backend policies have no creation time: they sort before every rule of a cluster.
    const generatedFirst = (a: MeshObject, b: MeshObject): number => Number(isBackendPolicyDestinationRule(b)) - Number(isBackendPolicyDestinationRule(a)) || configOrder(a, b);
    for (const o of [...rules].sort(generatedFirst)) {
      if (typeof o.spec.host !== 'string' || o.spec.host === '') continue;
      const ws = isRecord(o.spec.workloadSelector) ? stringMap(o.spec.workloadSelector.matchLabels) : null;
      let t = this.byNamespace.get(o.namespace);
      if (!t) this.byNamespace.set(o.namespace, (t = new NamespaceRules()));
      const selector = ws && Object.keys(ws).length > 0 ? ws : null;
      if (selector) this.selectorRules = true;
      t.add({ host: resolveHost(o.spec.host, o.namespace, domain).fqdn, object: o, exportTo: exportToOf(o, this.meshConfig).values, selector });
    }
  }

  /**
   * The DestinationRule a client in `clientNamespace` (pod labels `clientLabels`, when known)
   * uses for `fqdn` (resolved), whose service lives in `serviceNamespace` (null when unknown).
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
    const tiers: [DestinationRuleScope, string | null][] = [
      ['client-namespace', clientNamespace],
      ['service-namespace', serviceNamespace === clientNamespace ? null : serviceNamespace],
      ['root-namespace', root === clientNamespace || root === serviceNamespace ? null : root],
    ];
    for (const [scope, ns] of tiers) {
      const table = ns === null ? undefined : this.byNamespace.get(ns);
      if (!table || ns === null) continue;
      const keep = (e: Entry): boolean => {
        if (!exportedTo(e.exportTo, ns, clientNamespace)) return false;
        // A workloadSelector only binds clients in its own namespace whose labels it selects.
        if (e.selector === null) return true;
        return scope === 'client-namespace' && clientLabels !== undefined && selects(e.selector, clientLabels);
      };
      // A known client: its namespace's rules for the most specific host, workloadSelector ones
      // included, are the only candidates (istiod's PushContext.destinationRule stops at the first
      // namespace with a rule for the host; SidecarScope.DestinationRule then keeps the one that
      // selects the client, else the one without selector, else none: no fall-through to the
      // service's or the root namespace, and no less specific host).
      if (scope === 'client-namespace' && clientLabels !== undefined && this.selectorRules) {
        const all = table.mostSpecific(fqdn, (e) => exportedTo(e.exportTo, ns, clientNamespace));
        if (all.length > 0) {
          const found = all.filter(keep);
          if (found.length === 0) return null;
          const ordered = [...found.filter((e) => e.selector !== null), ...found.filter((e) => e.selector === null)];
          return mergeDestinationRules(scope, ns, found[0]!.host, ordered.map((e) => e.object));
        }
        continue;
      }
      const found = table.mostSpecific(fqdn, keep);
      if (found.length === 0) continue;
      const ordered = [...found.filter((e) => e.selector !== null), ...found.filter((e) => e.selector === null)];
      return mergeDestinationRules(scope, ns, found[0]!.host, ordered.map((e) => e.object));
    }
    return null;
  }
}
