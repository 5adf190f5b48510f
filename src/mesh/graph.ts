import type { FieldPath } from './types.js';
import { resolveHost, type ResolvedHost } from './hosts.js';
import { DEFAULT_MESH_CONFIG, DEFAULT_MESH_CONTEXT, principalOf, sameForSharedViews, type MeshConfig, type MeshContext } from './mesh-config.js';
import { meshConfigInInput } from './mesh-config-in-input.js';
import { objectKey, stringMap, toMeshObject, isRecord, type MeshObject } from './object.js';
import type { ManifestObject, ParsedFile } from './parse.js';
import { PolicyIndex, decideMtls, hasSidecarSelector, selectorOf, type MtlsDecision, type MtlsMode, type PeerAuthenticationsForWorkload } from './policy.js';
import {
  VirtualServiceIndex,
  gatewayRefsOf,
  gatewayServersForHost,
  type DestinationRuleMatch,
  type GatewayRef,
  type GatewayServerMatch,
} from './routing.js';
import { ServiceRegistry, namesAsWritten, push, type ServiceInfo } from './services.js';
import { managedGatewayDeployments } from './gateway-api-deployment.js';
import { backendTlsOf } from './gateway-api-backend-tls.js';
import { managedGatewayServices } from './gateway-api-service.js';
import { POD_WORKLOAD_KINDS, WORKLOAD_KINDS, WorkloadRegistry, injectedPodLabelsOf, type Workload } from './workloads.js';
import { membershipOf, type Membership } from './membership.js';
import { DestinationRuleResolver, configOrder, type ConsolidatedHost, type MergedDestinationRule } from './destination-rules.js';
import { keepUnchanged, movedRole, sameObjects, type MovedObject } from './graph-carry.js';
import { GATEWAY_API_GROUP } from './kinds.js';

export type { MeshObject } from './object.js';
export type { ServiceInfo, ServicePort } from './services.js';
export type { Workload, ContainerPort } from './workloads.js';
export type { DestinationRuleMatch, DestinationRuleScope, GatewayRef, GatewayServerMatch } from './routing.js';
export type { MtlsDecision, MtlsMode, PeerAuthenticationsForWorkload } from './policy.js';
export type { ResolvedHost, HostForm } from './hosts.js';

/** Kinds of the policy index (`policy.ts`). */
const POLICY_KINDS = ['Sidecar', 'PeerAuthentication', 'AuthorizationPolicy'];

/** A Kubernetes Namespace: its labels decide its workloads' data plane (`membership.ts`). */
const isNamespaceObject = (o: MeshObject): boolean => o.known && o.kind === 'Namespace' && o.group === '';

/** A pod workload (`POD_WORKLOAD_KINDS`) or an Istio WorkloadEntry: an object of the workload index. */
const isWorkloadObject = (o: MeshObject): boolean => POD_WORKLOAD_KINDS.has(o.kind) || (o.known && o.kind === 'WorkloadEntry' && o.group === 'networking.istio.io');

/** An Istio Sidecar, PeerAuthentication or AuthorizationPolicy: an object of the policy index. */
const isPolicyObject = (o: MeshObject): boolean => o.known && (o.kind === 'Sidecar' ? o.group === 'networking.istio.io' : (o.kind === 'PeerAuthentication' || o.kind === 'AuthorizationPolicy') && o.group === 'security.istio.io');

/** An Istio VirtualService or DestinationRule. */
const isRoutingObject = (o: MeshObject): boolean => o.known && (o.kind === 'VirtualService' || o.kind === 'DestinationRule') && o.group === 'networking.istio.io';

/**
 * Kinds whose objects nothing the view shares between graphs reads (`view/carry.ts`): Istio Gateways
 * (read per gateway proxy, never through a shared cache), Secrets (gateway credentials, read by
 * `xds serve` per reload), ConfigMaps (the root namespace's `istio` one carries the MeshConfig: the
 * graph compares the MeshConfig itself, `sameForSharedViews`), RBAC, autoscaling, disruption
 * budgets, NetworkPolicies, storage, quotas, CRDs and webhook configurations. A change of one of
 * them, like a change of a kind meshproof does not model, keeps the view base.
 */
const UNSHARED_KINDS: ReadonlySet<string> = new Set([
  'Gateway', 'Secret', 'ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding',
  'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'PersistentVolumeClaim', 'PersistentVolume',
  'LimitRange', 'ResourceQuota', 'PriorityClass', 'StorageClass', 'CustomResourceDefinition',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'IngressClass',
]);

/**
 * Whether a change of `o` reaches nothing the view shares between graphs (see {@link UNSHARED_KINDS}). No
 * Gateway API object is: a sidecar's routes read mesh HTTPRoutes (GAMMA, `gateway-api-mesh-routes.ts`), and a
 * Gateway, GatewayClass or ReferenceGrant decides which gateway workloads exist and what their routes reach
 * (`gateway-api-deployment.ts`), so a change of one starts the view afresh (no `viewBase`).
 */
const unsharedByView = (o: MeshObject): boolean => o.group !== GATEWAY_API_GROUP && (!o.known || UNSHARED_KINDS.has(o.kind));

/** A Kubernetes Service or an Istio ServiceEntry: an object of the service index. */
const isServiceObject = (o: MeshObject): boolean => o.known && (o.kind === 'Service' || (o.kind === 'ServiceEntry' && o.group === 'networking.istio.io'));
export type { MeshConfig, MeshContext } from './mesh-config.js';
export type { MergedDestinationRule, MergedSubset } from './destination-rules.js';
export type { Membership, Dataplane } from './membership.js';

export interface GraphOptions {
  /**
   * MeshConfig and cluster domain istiod runs with. Without a MeshConfig of its own (its
   * `meshConfig` is `DEFAULT_MESH_CONFIG`), the input's `istio` ConfigMap in the root namespace is
   * used when it holds a valid one. @default DEFAULT_MESH_CONTEXT (Istio's defaults)
   */
  readonly context?: MeshContext;
  /** Overrides `context.meshConfig.rootNamespace`. */
  readonly rootNamespace?: string;
  /** Overrides `context.clusterDomain`. */
  readonly clusterDomain?: string;
  /**
   * The graph this one replaces after an input change (`xds serve` on reload): what was built for
   * it and does not depend on what changed is reused (the xDS translation's carry-over,
   * `src/xds/translate/carry-over.ts`, as istiod's XdsCache survives a push). Objects whose source
   * did not change are the predecessor's (`graph-carry.ts`); when only VirtualServices,
   * DestinationRules, Services, ServiceEntries and pod workloads changed (other objects at most
   * moved), so is the policy index (and the service, DestinationRule and workload ones when none of
   * their kinds changed; a rebuilt service index keeps the unchanged objects' services),
   * and the view shares what the changes do not reach (`viewBase`). Held weakly: a
   * graph never keeps its predecessor alive (a `WeakRef`: once looked up, the predecessor lives
   * until the current job ends, so a synchronous loop of rebuilds frees them when it yields).
   * Implies `carryOver`. @default none
   */
  readonly previous?: MeshGraph;
  /**
   * Keep what the translation builds for this graph by content, so that a graph built with this
   * one as `previous` can reuse it (the first graph of a server). @default false (true with `previous`)
   */
  readonly carryOver?: boolean;
  /**
   * With `previous`: nothing reads this graph's lines, only its objects' manifest files and
   * TypeScript construct paths and files (`xds serve`: the views feed only the xDS translation,
   * whose origins carry no line). A VirtualService, DestinationRule, WorkloadEntry, ServiceEntry or
   * Service that only moved in its file (an object added or removed above it) is then the
   * predecessor's object, its stale position included, so the view shares all it built from it
   * instead of rebuilding it at the new lines (`graph-carry.ts`). Findings, proofs and dumps need
   * the true lines: never for them. @default false
   */
  readonly positionFree?: boolean;
}

/** A DestinationRule subset and the workloads its labels select. */
export interface SubsetInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly destinationRule: MeshObject;
  /** `['spec','subsets',i]` in the DestinationRule. */
  readonly path: FieldPath;
  /** Workloads of the host (the Service's selector, or the ServiceEntry's workloadSelector) carrying the labels. */
  readonly workloads: readonly Workload[];
}

/**
 * The mesh model: every object from the input, typed and indexed once, plus the lookups Istio
 * performs (host resolution, service registry, DestinationRule / VirtualService / Gateway
 * binding, Sidecar and security policy selection). Immutable after construction; every
 * method is a pure query. Checks, the xDS translator, traffic verification and PR diffs read it.
 */
export class MeshGraph {
  /** Every object in input order, including kinds meshproof does not model (`known: false`). */
  readonly objects: readonly MeshObject[];
  /** The mesh context every query runs in (MeshConfig + cluster domain). */
  readonly context: MeshContext;
  /** `context.meshConfig`. */
  readonly meshConfig: MeshConfig;
  /** The input's `istio` ConfigMap (or IstioOperator, mesh-config-in-input.ts) when `meshConfig` came from it; null when explicit or Istio's defaults. */
  readonly meshConfigSource: MeshObject | null;
  /**
   * True when no MeshConfig was given at all (none explicit, none in the input): `meshConfig` is Istio's
   * defaults by assumption, so `trustDomain` is `cluster.local` only because nothing said otherwise.
   */
  readonly meshConfigAssumed: boolean;
  /** MeshConfig `rootNamespace`. */
  readonly rootNamespace: string;
  /** Kubernetes cluster domain (`<svc>.<ns>.svc.<clusterDomain>`). */
  readonly clusterDomain: string;
  /** MeshConfig `trustDomain`: principals are `<trustDomain>/ns/<ns>/sa/<sa>`. */
  readonly trustDomain: string;
  /** `trustDomain` then MeshConfig `trustDomainAliases`: the trust domains a policy principal may name for this mesh (istiod's trust domain bundle). */
  readonly trustDomains: readonly string[];
  readonly services: ServiceRegistry;
  readonly workloads: WorkloadRegistry;
  /** Objects that share `kind/namespace/name` with an earlier one (the earlier one is indexed). */
  readonly duplicates: readonly MeshObject[];

  private readonly byKind = new Map<string, MeshObject[]>();
  private readonly byKey = new Map<string, MeshObject>();
  private readonly destinationRules: DestinationRuleResolver;
  private readonly virtualServicesIndex: VirtualServiceIndex;
  private readonly policies: PolicyIndex;
  private readonly namespaceSet: readonly string[];
  private readonly membershipCache = new Map<Workload, Membership>();
  /** Whether translations for this graph are kept by content for a successor (`GraphOptions.carryOver`). */
  readonly carryOver: boolean;
  private readonly previousRef: WeakRef<MeshGraph> | undefined;
  /**
   * With `GraphOptions.previous`: how many objects are the predecessor's (unchanged source), how
   * many changed (new, edited, moved or removed; an edited or moved one counts twice, both
   * versions) and how many of those moved (same content elsewhere, `graph-carry.ts`; both
   * versions). Null without one.
   */
  readonly carried: { readonly kept: number; readonly changed: number; readonly moved: number } | null;
  /** The objects changed since the predecessor (both versions) when all are VirtualServices, DestinationRules, Services, ServiceEntries, workloads, Namespaces, Sidecars, PeerAuthentications, AuthorizationPolicies or kinds no shared view object reads (see `viewBase`). */
  private readonly changedForView: readonly MeshObject[] | undefined;
  /** With `changedForView`: the moved objects the view counts as moved, not changed (`graph-carry.ts` movedRole). */
  private readonly movedForView: readonly MovedObject[] | undefined;

  constructor(input: readonly MeshObject[], opts: GraphOptions = {}) {
    const prev = opts.previous;
    const kept = prev && keepUnchanged(input, prev.objects, opts.positionFree === true);
    const objects = kept ? kept.objects : input;
    this.objects = objects;
    const base = opts.context ?? DEFAULT_MESH_CONTEXT;
    const inInput = base.meshConfig === DEFAULT_MESH_CONFIG ? meshConfigInInput(objects, opts.rootNamespace ?? DEFAULT_MESH_CONFIG.rootNamespace) : null;
    const chosen = inInput?.meshConfig ?? base.meshConfig;
    const meshConfig = opts.rootNamespace !== undefined ? { ...chosen, rootNamespace: opts.rootNamespace } : chosen;
    this.meshConfigSource = inInput?.from ?? null;
    this.meshConfigAssumed = base.meshConfig === DEFAULT_MESH_CONFIG && !inInput;
    this.context = { meshConfig, clusterDomain: opts.clusterDomain ?? base.clusterDomain };
    this.meshConfig = meshConfig;
    this.rootNamespace = meshConfig.rootNamespace;
    this.clusterDomain = this.context.clusterDomain;
    this.trustDomain = meshConfig.trustDomain;
    this.trustDomains = [meshConfig.trustDomain, ...meshConfig.trustDomainAliases];
    this.carryOver = opts.carryOver === true || opts.previous !== undefined;
    this.previousRef = opts.previous && new WeakRef(opts.previous);
    const duplicates: MeshObject[] = [];
    const namespaces = new Set<string>();
    for (const o of objects) {
      if (o.namespace !== '') namespaces.add(o.namespace);
      if (o.kind === 'Namespace') namespaces.add(o.name);
      if (!o.known) continue;
      if (this.byKey.has(o.key)) {
        duplicates.push(o);
        continue;
      }
      this.byKey.set(o.key, o);
      push(this.byKind, o.kind, o);
    }
    this.duplicates = duplicates;
    this.namespaceSet = [...namespaces].sort();
    // Only VirtualServices, DestinationRules, Services, ServiceEntries, workloads, Namespaces and
    // policies changed (istiod's updateContext for such a push: the service index rebuilt, keeping
    // the unchanged objects' services; the policy index rebuilt), and other objects at most moved:
    // every other index is built from the very same
    // objects, or objects of the same content, in the same context, so the predecessor's serves, or
    // is rebuilt reusing what it made from the kept objects (and the view may share what it built
    // from them but for what the moved ones' positions reach: graph-carry.ts).
    const moved = kept?.moved ?? [];
    const roles = moved.map((m) => movedRole(m.next));
    const has = (role: string): boolean => roles.includes(role as (typeof roles)[number]);
    const changedForView = kept ? [...kept.changed, ...moved.filter((_, i) => roles[i] === 'changed').flatMap((m) => [m.next, m.previous])] : [];
    // A BackendTLSPolicy reads its CA ConfigMap (`gateway-api-backend-tls.ts`): with one in the input, a changed
    // ConfigMap can change the generated DestinationRules, so the view starts afresh.
    const backendTls = this.objects.some((o) => o.kind === 'BackendTLSPolicy' && o.group === GATEWAY_API_GROUP);
    const unshared = (o: MeshObject): boolean => unsharedByView(o) && !(backendTls && o.kind === 'ConfigMap');
    const viewable = prev !== undefined && kept !== undefined && changedForView.every((o) => isRoutingObject(o) || isServiceObject(o) || isPolicyObject(o) || isWorkloadObject(o) || isNamespaceObject(o) || unshared(o))
      && prev.clusterDomain === this.clusterDomain && prev.rootNamespace === this.rootNamespace && sameForSharedViews(prev.meshConfig, meshConfig)
      && sameObjects(prev.duplicates, duplicates);
    this.changedForView = viewable ? changedForView : undefined;
    this.movedForView = viewable ? moved.filter((_, i) => roles[i] !== 'changed') : undefined;
    this.carried = kept ? { kept: kept.kept, changed: kept.changed.length + 2 * moved.length, moved: 2 * moved.length } : null;
    // The DestinationRules istiod generates from BackendTLSPolicies read their targets' ports and hosts.
    const rulesKept = viewable && !changedForView.some((o) => o.kind === 'DestinationRule')
      && !(changedForView.some(isServiceObject) && backendTls);
    const workloadsKept = viewable && !changedForView.some(isWorkloadObject) && !has('workloads');
    // The Services istiod creates for Gateway API Gateways are services too (`gateway-api-service.ts`).
    const serviceObjects = (): MeshObject[] => [...this.ofKind('Service'), ...this.ofKind('ServiceEntry'), ...managedGatewayServices(this)];
    const servicesChanged = has('services') || changedForView.some(isServiceObject);
    this.services = !viewable ? new ServiceRegistry(serviceObjects(), this.clusterDomain, meshConfig) : servicesChanged ? new ServiceRegistry(serviceObjects(), this.clusterDomain, meshConfig, prev.services) : prev.services;
    // The Deployments istiod creates for Gateway API Gateways are workloads too (`gateway-api-deployment.ts`).
    this.workloads = workloadsKept ? prev.workloads : new WorkloadRegistry([...WORKLOAD_KINDS.flatMap((k) => this.ofKind(k)), ...managedGatewayDeployments(this)], viewable ? prev.workloads : undefined);
    this.destinationRules = rulesKept ? prev.destinationRules : new DestinationRuleResolver(this.destinationRuleObjects(), this.clusterDomain, meshConfig);
    this.virtualServicesIndex = new VirtualServiceIndex(this.ofKind('VirtualService'), this.clusterDomain, meshConfig);
    // A changed or moved Sidecar, PeerAuthentication or AuthorizationPolicy: a new policy index (so
    // new namespace mTLS modes); what the view shares reads only those modes (`view/carry.ts`).
    const policiesKept = viewable && !has('policies') && !changedForView.some(isPolicyObject);
    this.policies = policiesKept ? prev.policies : new PolicyIndex(POLICY_KINDS.flatMap((k) => this.ofKind(k)), this.rootNamespace);
    // A kept workload (the predecessor's object, same Namespace, same MeshConfig) has the same
    // membership, but for its evidence when its Namespace moved, and unless its Namespace changed
    // (labels: injection, revision, ambient).
    if (viewable) {
      const namespacesTouched = new Set([...changedForView, ...moved.map((m) => m.next)].filter(isNamespaceObject).map((o) => o.name));
      for (const w of this.workloads.all) {
        const m = namespacesTouched.has(w.namespace) ? undefined : prev.membershipCache.get(w);
        if (m) this.membershipCache.set(w, m);
      }
    }
  }

  /** Builds the graph from loaded files (or manifest objects). */
  static from(input: readonly ParsedFile[] | readonly ManifestObject[], opts?: GraphOptions): MeshGraph {
    const manifests = input.flatMap((x) => ('objects' in x ? x.objects : [x]));
    return new MeshGraph(manifests.map(toMeshObject), opts);
  }

  /** `GraphOptions.previous` while it is still alive (held weakly), else undefined. */
  previousGraph(): MeshGraph | undefined {
    return this.previousRef?.deref();
  }

  /**
   * The predecessor (while alive) when only VirtualServices, DestinationRules, Services,
   * ServiceEntries, workloads (`POD_WORKLOAD_KINDS` and WorkloadEntries, which are also ServiceEntry
   * endpoints), Namespaces (namespaces may appear or go: their objects are changed objects), Sidecars, PeerAuthentications,
   * AuthorizationPolicies and kinds no shared view object reads (`UNSHARED_KINDS`, unmodelled
   * kinds) changed since it, and other objects at most moved (same content, other position:
   * `graph-carry.ts`), with
   * - `changed`: the changed objects (new, edited, removed, and moved VirtualServices and
   *   DestinationRules, both versions);
   * - `moved`: the other moved objects (Services, ServiceEntries, pod workloads, policies, …).
   * This graph shares its service and policy indexes (the service index rebuilt with the kept
   * objects' very services when a Service or ServiceEntry changed or moved, the policy index rebuilt
   * when a Sidecar, PeerAuthentication or AuthorizationPolicy changed or moved: the view then
   * shares nothing that reads a namespace whose mTLS mode changed), and its workload index when
   * no workload changed or moved (else the kept
   * workloads' objects), so what the view built from those is valid here as built, and what it
   * built from routes, rules, services and the workloads a service selects is valid unless a
   * changed object or a changed or moved service reaches a host it read (`view/carry.ts`).
   * Undefined otherwise.
   */
  viewBase(): { readonly graph: MeshGraph; readonly changed: readonly MeshObject[]; readonly moved: readonly MovedObject[] } | undefined {
    const graph = this.changedForView && this.previousRef?.deref();
    return graph && { graph, changed: this.changedForView!, moved: this.movedForView! };
  }

  /**
   * Every DestinationRule istiod merges: the input's (input order), then those it generates from Gateway API
   * BackendTLSPolicies (`gateway-api-backend-tls.ts`, annotated `internal.istio.io/parents`).
   */
  destinationRuleObjects(): readonly MeshObject[] {
    const generated = backendTlsOf(this).destinationRules;
    return generated.length === 0 ? this.ofKind('DestinationRule') : [...this.ofKind('DestinationRule'), ...generated];
  }

  /** Modelled objects of `kind` in input order (Istio kinds only in their Istio API group). */
  ofKind(kind: string): readonly MeshObject[] {
    return this.byKind.get(kind) ?? [];
  }

  /** The object `kind/namespace/name`, or undefined. */
  get(kind: string, namespace: string, name: string): MeshObject | undefined {
    return this.byKey.get(objectKey(kind, namespace, name));
  }

  /** Every namespace: Namespace objects and every namespace an object lives in, sorted. */
  namespaces(): readonly string[] {
    return this.namespaceSet;
  }

  /** A host as Istio reads it in a resource of `fromNamespace` (short names expanded). */
  resolveHost(host: string, fromNamespace: string): ResolvedHost {
    return resolveHost(host, fromNamespace, this.clusterDomain);
  }

  /**
   * Services and ServiceEntry hosts that `host` (as written in `fromNamespace`) names and that
   * are exported to `fromNamespace`. Wildcard ServiceEntry hosts count; a wildcard `host`
   * returns every service it covers.
   */
  servicesForHost(host: string, fromNamespace: string): ServiceInfo[] {
    const found = this.services.forHost(this.resolveHost(host, fromNamespace).fqdn, fromNamespace);
    return found.filter((s) => namesAsWritten(s, host, fromNamespace, this.clusterDomain));
  }

  /** The namespace of the service behind `fqdn` (Kubernetes form parsed, else the registry's), or null. */
  serviceNamespaceOf(fqdn: string, fromNamespace: string): string | null {
    const found = this.services.forHost(fqdn, fromNamespace);
    if (found.length > 0) return found[0]!.namespace;
    const m = fqdn.match(/^[^.]+\.([^.]+)\.svc\./);
    return m ? m[1]! : null;
  }

  /**
   * The DestinationRule(s) a proxy in `fromNamespace` uses for `host`: its own namespace first,
   * then the service's namespace, then the root namespace (exportTo honoured); null when none.
   */
  destinationRulesFor(host: string, fromNamespace: string): DestinationRuleMatch | null {
    const merged = this.destinationRuleFor(host, fromNamespace);
    return merged && { scope: merged.scope, host: merged.host, rules: merged.rules };
  }

  /**
   * The merged DestinationRule a client in `fromNamespace` (with pod labels `clientLabels`, for
   * `workloadSelector` rules) uses for `host`, as istiod computes it; null when none applies.
   */
  destinationRuleFor(host: string, fromNamespace: string, clientLabels?: Readonly<Record<string, string>>): MergedDestinationRule | null {
    return this.destinationRuleForResolved(this.resolveHost(host, fromNamespace).fqdn, fromNamespace, clientLabels);
  }

  /**
   * {@link destinationRuleFor} for a host already resolved: a service's `host` as istiod keeps it, or a resolved
   * destination. Not expanded again, so a short ServiceEntry host `payments` is looked up as `payments`, which a
   * DestinationRule host `payments` (expanded in its own namespace) never names, as in istiod.
   */
  destinationRuleForResolved(fqdn: string, fromNamespace: string, clientLabels?: Readonly<Record<string, string>>): MergedDestinationRule | null {
    return this.destinationRules.lookup(fqdn, fromNamespace, this.serviceNamespaceOf(fqdn, fromNamespace), clientLabels);
  }

  /** Every DestinationRule host of every istiod index, with the rules consolidated for it (`DestinationRuleResolver.consolidated`). */
  destinationRuleConsolidations(): IterableIterator<ConsolidatedHost> {
    return this.destinationRules.consolidated();
  }

  /** Subsets defined for `host` by the DestinationRule that applies from `fromNamespace` (merged, duplicates dropped), with their workloads. */
  subsetsOf(host: string, fromNamespace: string): SubsetInfo[] {
    const merged = this.destinationRuleFor(host, fromNamespace);
    if (!merged) return [];
    const service = this.servicesForHost(host, fromNamespace)[0];
    return merged.subsets.map((s) => ({
      name: s.name, labels: s.labels, destinationRule: s.object, path: s.path,
      workloads: service?.selector ? this.workloads.selectedBy(service.namespace, { ...service.selector, ...s.labels }) : [],
    }));
  }

  /**
   * VirtualServices routing `host` (as written in `fromNamespace`) for `gateway`: `'mesh'` for
   * sidecars (exportTo to `fromNamespace` honoured) or a gateway as `namespace/name`.
   */
  virtualServicesFor(host: string, gateway: string, fromNamespace: string): MeshObject[] {
    const fqdn = this.resolveHost(host, fromNamespace).fqdn;
    return this.virtualServicesIndex.lookup(fqdn, gateway, gateway === 'mesh' ? fromNamespace : undefined);
  }

  /**
   * Mesh or gateway VirtualServices for a resolved `fqdn`, grouped most specific host first
   * (exact, then longer wildcards), exportTo to `fromNamespace` honoured for `mesh`; `ignoreCase` for
   * a sidecar's HTTP binding, which istiod does on lower-cased hosts (see `VirtualServiceIndex.lookupGroups`).
   */
  virtualServiceGroupsFor(fqdn: string, gateway: string, fromNamespace: string, ignoreCase = false): MeshObject[][] {
    return this.virtualServicesIndex.lookupGroups(fqdn, gateway, gateway === 'mesh' ? fromNamespace : undefined, ignoreCase);
  }

  /** VirtualServices whose `spec.gateways` names `gateway` (`namespace/name`), input order. */
  virtualServicesBoundTo(gateway: string): MeshObject[] {
    return this.virtualServicesIndex.boundTo(gateway);
  }

  /** The gateways a VirtualService binds to, each with the Gateway object when it exists. */
  gatewaysOf(virtualService: MeshObject): (GatewayRef & { readonly gateway: MeshObject | null })[] {
    return gatewayRefsOf(virtualService).map((g) => ({ ...g, gateway: g.mesh ? null : (this.get('Gateway', g.namespace, g.name) ?? null) }));
  }

  /** Servers of `gateway` that `host` can bind to, for a VirtualService in `virtualServiceNamespace`. */
  gatewayServersForHost(gateway: MeshObject, host: string, virtualServiceNamespace?: string): GatewayServerMatch[] {
    return gatewayServersForHost(gateway, host, virtualServiceNamespace);
  }

  /** Workloads in `namespace` (or every namespace when null) whose labels match `selector`. */
  workloadsSelectedBy(namespace: string | null, selector: Readonly<Record<string, string>>): Workload[] {
    return this.workloads.selectedBy(namespace, selector);
  }

  /** Kubernetes Services whose selector selects `workload`. */
  servicesSelecting(workload: Workload): ServiceInfo[] {
    return this.services.selecting(workload.namespace, workload.labels);
  }

  /**
   * `workload` as policy selectors see its pods: with a sidecar injected, the labels the injector
   * adds (`service.istio.io/canonical-name`, `…/canonical-revision`, `security.istio.io/tlsMode`) are
   * on every pod, so a Sidecar, PeerAuthentication or AuthorizationPolicy selecting them applies, as
   * istiod matches selectors against the pod's labels. Other workloads (and hand-described proxies
   * without an object) as they are.
   */
  private selectable(workload: Workload): Workload {
    if (!(workload as { object?: unknown }).object || this.membershipOf(workload).dataplane !== 'sidecar') return workload;
    let s = this.selectableCache.get(workload);
    if (!s) this.selectableCache.set(workload, (s = { ...workload, labels: { ...injectedPodLabelsOf(workload), ...workload.labels } }));
    return s;
  }

  private readonly selectableCache = new WeakMap<Workload, Workload>();

  /** The Sidecar(s) that configure `workload` (selector, then namespace default, then root default). */
  sidecarsFor(workload: Workload): MeshObject[] {
    return this.policies.sidecarsFor(this.selectable(workload));
  }

  /**
   * Whether istiod never uses `sidecar` for any proxy of the input: a Sidecar without workloadSelector that is
   * not the oldest such Sidecar of its namespace (`doGetSidecarScope` takes the first in creation order), or one
   * with a selector that every input workload it selects takes another (older) selecting Sidecar for. A
   * selector Sidecar that selects no workload of the input is not judged here (false).
   */
  sidecarShadowed(sidecar: MeshObject): boolean {
    if (!hasSidecarSelector(sidecar)) {
      const first = [...this.ofKind('Sidecar')].filter((o) => o.namespace === sidecar.namespace && !hasSidecarSelector(o)).sort(configOrder)[0];
      if (first !== undefined && first !== sidecar) return true;
      // A Sidecar with workloadSelector {} selects every workload of the namespace first (istiod ranks it with the selectors).
      const selected = this.workloadsSelectedBy(sidecar.namespace, {});
      return selected.length > 0 && selected.every((w) => this.sidecarsFor(w)[0] !== sidecar);
    }
    const selected = this.workloadsSelectedBy(sidecar.namespace, selectorOf(sidecar) ?? {});
    return selected.length > 0 && selected.every((w) => this.sidecarsFor(w)[0] !== sidecar);
  }

  /**
   * The older PeerAuthentication istiod uses instead of `pa` at `pa`'s level, or null when `pa` counts
   * (ComposePeerAuthentication keeps the oldest per level: creation time, then name). For one without selector
   * (mesh-wide in the root namespace, else namespace-level): the oldest selector-less policy of its namespace when
   * that is not `pa`. For one with a selector: the policy that decides the first workload it selects, when every
   * input workload it selects takes an older one; null when it selects no workload of the input. A selector
   * policy in the root namespace, which istiod ignores altogether, is not judged here (null).
   */
  peerAuthenticationShadowedBy(pa: MeshObject): MeshObject | null {
    const selector = selectorOf(pa);
    if (selector === null) {
      const pas = this.policies.peerAuthenticationsFor({ namespace: pa.namespace, labels: {} } as unknown as Workload);
      const first = pa.namespace === this.rootNamespace ? pas.mesh[0] : pas.namespace[0];
      return first !== undefined && first !== pa ? first : null;
    }
    if (pa.namespace === this.rootNamespace) return null;
    const deciding = this.workloadsSelectedBy(pa.namespace, selector).map((w) => this.peerAuthenticationsFor(w).workload[0]);
    return deciding.length > 0 && deciding.every((d) => d !== pa) ? deciding[0] ?? null : null;
  }

  /** PeerAuthentications bearing on `workload`, by precedence. */
  peerAuthenticationsFor(workload: Workload): PeerAuthenticationsForWorkload {
    return this.policies.peerAuthenticationsFor(this.selectable(workload));
  }

  /**
   * The PeerAuthentication mode auto mTLS reads for a destination in `namespace` (Istio
   * `GetNamespaceMutualTLSMode`: namespace policy, else mesh policy, else PERMISSIVE).
   */
  namespaceMtls(namespace: string): MtlsMode {
    return this.policies.namespaceMtlsMode(namespace);
  }

  /** The mTLS mode `workload` accepts on `port` (undefined = workload-wide) and the policy that decides it. */
  mtlsModeFor(workload: Workload, port?: number): MtlsDecision {
    return decideMtls(this.policies.peerAuthenticationsFor(this.selectable(workload)), port);
  }

  /** Which data plane `workload` runs with (sidecar, gateway, ambient, none, or unknown without its Namespace). */
  membershipOf(workload: Workload): Membership {
    let m = this.membershipCache.get(workload);
    if (!m) this.membershipCache.set(workload, (m = membershipOf(workload, this.get('Namespace', '', workload.namespace), this.meshConfig.ingressSelector)));
    return m;
  }

  /** The SPIFFE principal of `workload`'s identity: `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  principalOf(workload: Workload): string {
    return principalOf(this.trustDomain, workload.namespace, workload.serviceAccount);
  }

  /** AuthorizationPolicies that apply to `workload` (root namespace and its own). */
  authorizationPoliciesFor(workload: Workload): MeshObject[] {
    return this.policies.authorizationPoliciesFor(this.selectable(workload));
  }
}
