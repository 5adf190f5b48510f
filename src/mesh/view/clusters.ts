/**
 * The upstream clusters a proxy needs (`outbound|<port>|<subset>|<fqdn>`), each with the
 * DestinationRule in force for this proxy and its merged traffic policy.
 */
import type { MeshGraph } from '../graph.js';
import type { ServiceInfo } from '../services.js';
import type { Dataplane } from '../membership.js';
import type { MergedDestinationRule } from '../destination-rules.js';
import { isRecord, stringMap } from '../object.js';
import { selects } from '../services.js';
import { originOf } from './origin.js';
import { inheritedPerGraph, perServiceOf, serviceBase } from './carry.js';
import { seesAsOutsider } from './push-index.js';
import { clusterPolicy, outboundClusterName } from './traffic-policy.js';
import type { ClusterDiscovery, ClusterPolicyView, ClusterView, ServiceEntryEndpointView } from './types.js';

const DATAPLANES = new WeakMap<MeshGraph, WeakMap<ServiceInfo, Dataplane>>();

/** The data plane of the workloads behind a service: one answer when they agree, else `unknown`. */
export function serviceDataplane(graph: MeshGraph, s: ServiceInfo): Dataplane {
  return perServiceOf(DATAPLANES, graph, s, () => computeDataplane(graph, s));
}

function computeDataplane(graph: MeshGraph, s: ServiceInfo): Dataplane {
  if (!s.selector) return s.kind === 'ServiceEntry' ? 'none' : 'unknown';
  const workloads = graph.workloadsSelectedBy(s.namespace, s.selector);
  if (workloads.length === 0) return 'unknown';
  const planes = new Set(workloads.map((w) => graph.membershipOf(w).dataplane));
  return planes.size === 1 ? [...planes][0]! : 'unknown';
}


/**
 * Cluster views shared by every proxy of a graph: same DestinationRule(s) (`ruleKey`) and service
 * (`serviceId`), then cluster name; and by its successor when only VirtualServices,
 * DestinationRules, Services, ServiceEntries and pod workloads changed, but for the hosts a changed
 * DestinationRule names, of a changed Service or ServiceEntry, or whose service selects a changed
 * workload (`carry.ts`: no VirtualService feeds one).
 */
const SHARED = new WeakMap<MeshGraph, Map<string, Map<string, ClusterView>>>();

type RuleView = NonNullable<ClusterView['destinationRule']>;

/** A cluster view being filled in (every field is set before it is shared). */
type ClusterViewDraft = { -readonly [K in keyof ClusterView]?: ClusterView[K] };

/** A subset's labels as its cluster views hold them: one copy per subset, shared. */
const LABELS = new WeakMap<object, Readonly<Record<string, string>>>();

function labelsCopy(labels: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  let copy = LABELS.get(labels);
  if (!copy) LABELS.set(labels, (copy = { ...labels }));
  return copy;
}

/** `ClusterView.destinationRule` of a merged rule: one object per rule, shared by its clusters. */
const RULE_VIEWS = new WeakMap<MergedDestinationRule, RuleView>();

function ruleView(dr: MergedDestinationRule): RuleView {
  let v = RULE_VIEWS.get(dr);
  if (!v) RULE_VIEWS.set(dr, (v = { scope: dr.scope, rules: dr.rules.map((o) => originOf(o, ['spec'])) }));
  return v;
}

/**
 * The policy of a service's port without a subset policy of its own, per graph, service, port and
 * merged rule (null: none): the default cluster and every subset without `trafficPolicy` share it
 * (`clusterPolicy` gives equal answers for them). A miss is looked up in the predecessor's map when
 * the service's workloads did not change (`serviceBase`): copied, not shared, so a graph's map
 * holds only what it asked for and dies with it (a map shared along a chain of reloads would keep
 * every edited DestinationRule alive).
 */
const PORT_POLICIES = new WeakMap<MeshGraph, WeakMap<ServiceInfo, Map<number, Map<MergedDestinationRule | null, ClusterPolicyView>>>>();

/** Per graph and host: the DestinationRule every namespace outside the host's `namespacesSeeingDifferently` uses. */
const OUTSIDER_RULES = new WeakMap<MeshGraph, Map<string, MergedDestinationRule | null>>();

const RULE_KEYS = new WeakMap<MergedDestinationRule, string>();

/** A shared cluster view as a proxy with another DestinationRule scope sees it → the shared one. */
const SCOPE_VARIANTS = new WeakMap<ClusterView, Map<string, ClusterView>>();
const SHARED_OF = new WeakMap<ClusterView, ClusterView>();

/**
 * The shared cluster view with `destinationRule.scope` as this proxy found the rule (the same rule
 * is `client-namespace` in its own namespace and `service-namespace` or `root-namespace` elsewhere).
 */
function scopeVariant(shared: ClusterView, scope: string): ClusterView {
  let variants = SCOPE_VARIANTS.get(shared);
  if (!variants) SCOPE_VARIANTS.set(shared, (variants = new Map()));
  let v = variants.get(scope);
  if (!v) {
    variants.set(scope, (v = { ...shared, destinationRule: { scope, rules: shared.destinationRule!.rules } }));
    SHARED_OF.set(v, shared);
  }
  return v;
}

/**
 * The cluster view every proxy with the same DestinationRule(s), port and subset shares, whatever the
 * rule's scope from where it stands: everything in it but `destinationRule.scope` is the same, so
 * translations of it (`xds/translate/cache.ts`) are keyed on this one.
 */
export function sharedClusterView(c: ClusterView): ClusterView {
  return SHARED_OF.get(c) ?? c;
}

/** `<namespace>/<rule names>` of a merged rule (`-` for none): part of the shared cluster view key. */
function ruleKey(dr: MergedDestinationRule | null): string {
  if (!dr) return '-';
  let key = RULE_KEYS.get(dr);
  if (key === undefined) RULE_KEYS.set(dr, (key = `${dr.namespace}/${dr.rules.map((r) => r.name).join(',')}`));
  return key;
}

const SERVICE_IDS = new WeakMap<ServiceInfo, number>();
let nextServiceId = 1;

/** A number per service object (stable while it lives): part of the shared cluster view key. */
function serviceId(s: ServiceInfo): number {
  let id = SERVICE_IDS.get(s);
  if (id === undefined) SERVICE_IDS.set(s, (id = nextServiceId++));
  return id;
}

/** A copy of a graph's shared cluster views without those of the hosts `keep` refuses. */
function copyClusterViews(previous: Map<string, Map<string, ClusterView>>, keep: (host: string) => boolean): Map<string, Map<string, ClusterView>> {
  const out = new Map<string, Map<string, ClusterView>>();
  for (const [rule, byName] of previous) {
    const kept = new Map([...byName].filter(([, v]) => keep(v.host)));
    if (kept.size > 0) out.set(rule, kept);
  }
  return out;
}

/** Collects clusters for one proxy; DestinationRule lookups are memoised per host. */
export class ClusterCollector {
  private readonly clusters = new Map<string, ClusterView>();
  private readonly rules = new Map<string, MergedDestinationRule | null>();
  private readonly shared: Map<string, Map<string, ClusterView>>;

  constructor(
    private readonly graph: MeshGraph,
    private readonly proxyNamespace: string,
    private readonly proxyLabels: Readonly<Record<string, string>>,
  ) {
    this.shared = inheritedPerGraph(SHARED, graph, () => new Map<string, Map<string, ClusterView>>(), copyClusterViews);
  }

  /**
   * The merged DestinationRule this proxy uses for `host` (resolved FQDN). A namespace that sees the
   * host as every outsider does (`push-index.ts`) gets the one rule object all outsiders share.
   */
  destinationRule(host: string): MergedDestinationRule | null {
    let rule = this.rules.get(host);
    if (rule !== undefined) return rule;
    if (seesAsOutsider(this.graph, host, this.proxyNamespace)) {
      const outsiders = inheritedPerGraph(OUTSIDER_RULES, this.graph, () => new Map<string, MergedDestinationRule | null>(), (previous, keep) => new Map([...previous].filter(([h]) => keep(h))));
      rule = outsiders.get(host);
      if (rule === undefined) outsiders.set(host, (rule = this.graph.destinationRuleForResolved(host, this.proxyNamespace, this.proxyLabels)));
    } else {
      rule = this.graph.destinationRuleForResolved(host, this.proxyNamespace, this.proxyLabels);
    }
    this.rules.set(host, rule);
    return rule;
  }

  /**
   * Adds (once) the cluster for `service` on `port`, `subset`; returns its name. A subset the
   * proxy's DestinationRule for the host does not define gets no cluster (the name is returned all
   * the same: routes to it fail, as istiod's do).
   */
  add(service: ServiceInfo, host: string, port: number, subset: string | undefined): string {
    const name = outboundClusterName(port, subset, host);
    if (this.clusters.has(name)) return name;
    const dr = this.destinationRule(host);
    // istiod builds subset clusters only from the DestinationRule this proxy sees (cluster_builder
    // applyDestinationRule over its subsets): a subset that rule does not define (or no rule: not
    // exported here, shadowed by a rule of the proxy's namespace) has no cluster, and a route to it
    // fails (Envoy 503 NC; here `BlackHoleCluster`). It does not get every pod of the service.
    if (subset !== undefined && !dr?.subsets.some((s) => s.name === subset)) return name;
    // Nor a port the service does not have: istiod builds outbound clusters from the service's ports
    // (buildOutboundClusters), so a route destination naming another port fails the same way (503 NC).
    if (!service.ports.some((p) => p.number === port)) return name;
    // The service too: proxies of two namespaces may take different services for one host (a
    // ServiceEntry in one for a Kubernetes Service's host, `host-services.ts`) under one rule.
    const rk = `${ruleKey(dr)}\u0000${serviceId(service)}`;
    let byName = this.shared.get(rk);
    if (!byName) this.shared.set(rk, (byName = new Map()));
    const known = byName.get(name);
    if (known) {
      this.clusters.set(name, dr && known.destinationRule?.scope !== dr.scope ? scopeVariant(known, dr.scope) : known);
      return name;
    }
    const own = subset === undefined ? undefined : dr?.subsets.find((s) => s.name === subset);
    const labels = own?.labels;
    const policy = own?.trafficPolicy ? this.policyOf(dr, service, port, subset) : this.portPolicy(dr, service, port);
    // `loadBalancer.simple: PASSTHROUGH` connects to the address the client asked for (Istio: ORIGINAL_DST).
    const discovery = policy.loadBalancer.simple?.toUpperCase() === 'PASSTHROUGH' ? 'ORIGINAL_DST' : discoveryOf(service);
    const endpoints = discovery === 'ORIGINAL_DST' || service.kind !== 'ServiceEntry' ? undefined : serviceEntryEndpoints(this.graph, service, host, port, labels);
    // Built field by field (no spreads: a runtime call each), in the order the JSON dumps show.
    const draft: ClusterViewDraft = { name, host, port, discovery };
    if (endpoints) draft.endpoints = endpoints;
    if (subset !== undefined) draft.subset = subset;
    if (labels) draft.subsetLabels = labelsCopy(labels);
    draft.policy = policy;
    draft.destinationRule = dr && ruleView(dr);
    const view = draft as ClusterView;
    byName.set(name, view);
    this.clusters.set(name, view);
    return name;
  }

  private policyOf(dr: MergedDestinationRule | null, service: ServiceInfo, port: number, subset: string | undefined): ClusterPolicyView {
    return clusterPolicy(dr, port, subset, this.graph.meshConfig, {
      dataplane: serviceDataplane(this.graph, service), external: service.location === 'MESH_EXTERNAL',
      passthrough: service.kind === 'ServiceEntry' && service.resolution === 'NONE', namespaceMtls: this.graph.namespaceMtls(service.namespace),
    });
  }

  /** {@link policyOf} without a subset, once per (service, port, rule): see `PORT_POLICIES`. */
  private portPolicy(dr: MergedDestinationRule | null, service: ServiceInfo, port: number): ClusterPolicyView {
    let byService = PORT_POLICIES.get(this.graph);
    if (!byService) PORT_POLICIES.set(this.graph, (byService = new WeakMap()));
    let byPort = byService.get(service);
    if (!byPort) byService.set(service, (byPort = new Map()));
    let byRule = byPort.get(port);
    if (!byRule) byPort.set(port, (byRule = new Map()));
    let policy = byRule.get(dr);
    if (!policy) {
      // The predecessor's answer for the very same rule object (a view base that kept the rule
      // index), looked up, not shared: each graph's map holds only the rules it asked about.
      const base = serviceBase(this.graph, service);
      policy = (base && PORT_POLICIES.get(base)?.get(service)?.get(port)?.get(dr)) || this.policyOf(dr, service, port, undefined);
      byRule.set(dr, policy);
    }
    return policy;
  }

  all(): ClusterView[] {
    return [...this.clusters.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** Istio's cluster type for a service: ServiceEntry `resolution` DNS → STRICT_DNS, DNS_ROUND_ROBIN → LOGICAL_DNS, NONE → ORIGINAL_DST; else EDS. */
export function discoveryOf(service: ServiceInfo): ClusterDiscovery {
  if (service.kind !== 'ServiceEntry') return 'EDS';
  switch (service.resolution) {
    case 'DNS': return 'STRICT_DNS';
    case 'DNS_ROUND_ROBIN': return 'LOGICAL_DNS';
    case 'NONE': return 'ORIGINAL_DST';
    default: return 'EDS';
  }
}

/**
 * The endpoints of a ServiceEntry host for one service port and subset: `spec.endpoints` and the
 * WorkloadEntries in its namespace that `workloadSelector` selects (Istio's `serviceentry` controller).
 * The port is `ports[<service port name>]`, else the port's `targetPort`, else its number; `unix://`
 * addresses are skipped. A DNS resolution without endpoints resolves the host itself (Istio's default).
 */
export function serviceEntryEndpoints(graph: MeshGraph, service: ServiceInfo, host: string, portNumber: number, subsetLabels: Readonly<Record<string, string>> | undefined): ServiceEntryEndpointView[] {
  const port = service.ports.find((p) => p.number === portNumber);
  if (!port) return [];
  const se = service.object;
  const raw: { entry: Record<string, unknown>; origin: ServiceEntryEndpointView['origin'] }[] = [];
  (Array.isArray(se.spec.endpoints) ? se.spec.endpoints : []).forEach((e, i) => {
    if (isRecord(e)) raw.push({ entry: e, origin: originOf(se, ['spec', 'endpoints', i]) });
  });
  if (service.selector) {
    for (const we of graph.ofKind('WorkloadEntry')) {
      if (we.namespace !== service.namespace) continue;
      const labels = isRecord(we.spec.labels) ? stringMap(we.spec.labels) : {};
      if (selects(service.selector, labels)) raw.push({ entry: we.spec as Record<string, unknown>, origin: originOf(we, ['spec']) });
    }
  }
  const out: ServiceEntryEndpointView[] = [];
  for (const { entry, origin } of raw) {
    if (typeof entry.address !== 'string' || entry.address === '' || entry.address.startsWith('unix://')) continue;
    const labels = isRecord(entry.labels) ? stringMap(entry.labels) : {};
    if (subsetLabels && !selects(subsetLabels, labels)) continue;
    const ports = isRecord(entry.ports) ? entry.ports : {};
    const named = ports[port.name];
    const target = typeof named === 'number' ? named : typeof port.targetPort === 'number' ? port.targetPort : port.number;
    out.push({
      address: entry.address, port: target, labels: { ...labels }, tlsMode: endpointTlsMode(entry, labels),
      locality: typeof entry.locality === 'string' ? entry.locality : '',
      weight: typeof entry.weight === 'number' && entry.weight > 0 ? entry.weight : 1,
      origin,
    });
  }
  const dns = service.resolution === 'DNS' || service.resolution === 'DNS_ROUND_ROBIN';
  if (dns && raw.length === 0 && !service.selector) {
    out.push({ address: host, port: typeof port.targetPort === 'number' ? port.targetPort : port.number, labels: {}, tlsMode: 'disabled', locality: '', weight: 1, origin: originOf(se, service.hostPath) });
  }
  return out;
}

/**
 * istiod's `getTLSModeFromWorkloadEntry` for a WorkloadEntry or an inline ServiceEntry endpoint: the
 * `security.istio.io/tlsMode` label when present, else `istio` when `serviceAccount` is set, else `disabled`.
 */
function endpointTlsMode(entry: Record<string, unknown>, labels: Readonly<Record<string, string>>): string {
  const label = labels['security.istio.io/tlsMode'];
  if (label !== undefined) return label;
  return typeof entry.serviceAccount === 'string' && entry.serviceAccount !== '' ? 'istio' : 'disabled';
}
