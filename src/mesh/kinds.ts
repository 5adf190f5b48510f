/**
 * The kinds meshproof models, by API group. A kind in another group is a different kind: the
 * Gateway API's `gateway.networking.k8s.io` Gateway is not Istio's Gateway (see {@link isModelledKind}).
 */
export interface KindInfo {
  readonly kind: string;
  readonly group: string;
  /** Whether objects of this kind live in a namespace. */
  readonly namespaced: boolean;
}

const ISTIO_NETWORKING = ['VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar', 'WorkloadEntry', 'WorkloadGroup', 'EnvoyFilter', 'ProxyConfig'];
const ISTIO_SECURITY = ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication'];
const ISTIO_OTHER: Record<string, string> = { Telemetry: 'telemetry.istio.io', WasmPlugin: 'extensions.istio.io' };
const CORE = ['Service', 'Pod', 'ReplicationController', 'Namespace', 'Node', 'ConfigMap', 'Secret', 'ServiceAccount', 'Endpoints', 'PersistentVolumeClaim', 'LimitRange', 'ResourceQuota'];
const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'PriorityClass', 'StorageClass', 'IngressClass', 'PersistentVolume']);
const OTHER: Record<string, string> = {
  Deployment: 'apps', StatefulSet: 'apps', DaemonSet: 'apps', ReplicaSet: 'apps',
  Job: 'batch', CronJob: 'batch', Rollout: 'argoproj.io',
  Role: 'rbac.authorization.k8s.io', RoleBinding: 'rbac.authorization.k8s.io', ClusterRole: 'rbac.authorization.k8s.io', ClusterRoleBinding: 'rbac.authorization.k8s.io',
  HorizontalPodAutoscaler: 'autoscaling', PodDisruptionBudget: 'policy', NetworkPolicy: 'networking.k8s.io',
  Ingress: 'networking.k8s.io', IngressClass: 'networking.k8s.io', CustomResourceDefinition: 'apiextensions.k8s.io',
  MutatingWebhookConfiguration: 'admissionregistration.k8s.io', ValidatingWebhookConfiguration: 'admissionregistration.k8s.io',
  PriorityClass: 'scheduling.k8s.io', StorageClass: 'storage.k8s.io', EndpointSlice: 'discovery.k8s.io',
};

const TABLE = new Map<string, KindInfo>();
const add = (kind: string, group: string) => TABLE.set(`${group}/${kind}`, { kind, group, namespaced: !CLUSTER_SCOPED.has(kind) });
for (const k of ISTIO_NETWORKING) add(k, 'networking.istio.io');
for (const k of ISTIO_SECURITY) add(k, 'security.istio.io');
for (const [k, g] of Object.entries(ISTIO_OTHER)) add(k, g);
for (const k of CORE) add(k, '');
for (const [k, g] of Object.entries(OTHER)) add(k, g);
add('PersistentVolume', '');

/** The API group of an apiVersion: `networking.istio.io/v1` → `networking.istio.io`, `v1` → ``. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Kubernetes Gateway API kinds (`gateway.networking.k8s.io`, any version) that the rules read. They
 * have no {@link kindInfo} entry on purpose: MeshGraph indexes kinds by name, and the Gateway API
 * `Gateway` would collide with Istio's; `gateway-api.ts` indexes them by API group instead.
 */
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** Route kinds of the Gateway API that attach to parents. */
export const GATEWAY_API_ROUTE_KINDS: readonly string[] = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute'];

/**
 * The Gateway API kinds meshproof reads (`gateway-api.ts` indexes them): GatewayClass among them, whose
 * `controllerName` says whether istiod runs a Gateway (`gateway-api-deployment.ts` `istioControllerClass`).
 */
const GATEWAY_API_READ = new Set(['Gateway', 'GatewayClass', 'ListenerSet', 'ReferenceGrant', 'BackendTLSPolicy', ...GATEWAY_API_ROUTE_KINDS]);

/**
 * Whether meshproof models (kind, group): it has a {@link kindInfo} entry or is a Gateway API kind
 * the rules read. Anything else gets the `input/unknown-kind` note.
 */
export function isModelledKind(kind: string, apiVersion: string): boolean {
  return kindInfo(kind, apiVersion) !== undefined || (groupOf(apiVersion) === GATEWAY_API_GROUP && GATEWAY_API_READ.has(kind));
}

/**
 * The kinds meshproof knows in API group `group` (`''` for core): those of the kind table and, for
 * `gateway.networking.k8s.io`, the Gateway API kinds the rules read. For telling a kind written in
 * the wrong case (`service`) from a kind meshproof does not know.
 */
export function knownKindNames(group: string): string[] {
  const names = [...TABLE.values()].filter((k) => k.group === group).map((k) => k.kind);
  return group === GATEWAY_API_GROUP ? [...names, ...GATEWAY_API_READ] : names;
}

/** The kind's entry, or undefined when meshproof does not model (kind, group). */
export function kindInfo(kind: string, apiVersion: string): KindInfo | undefined {
  return TABLE.get(`${groupOf(apiVersion)}/${kind}`);
}

/** The current stable version of each non-core group in the table, for "write it as group/version" hints. */
const STABLE_VERSION: Record<string, string> = {
  'networking.istio.io': 'v1', 'security.istio.io': 'v1', 'telemetry.istio.io': 'v1', 'extensions.istio.io': 'v1alpha1',
  apps: 'v1', batch: 'v1', 'argoproj.io': 'v1alpha1', 'rbac.authorization.k8s.io': 'v1', autoscaling: 'v2', policy: 'v1',
  'networking.k8s.io': 'v1', 'apiextensions.k8s.io': 'v1', 'admissionregistration.k8s.io': 'v1', 'scheduling.k8s.io': 'v1',
  'storage.k8s.io': 'v1', 'discovery.k8s.io': 'v1', [GATEWAY_API_GROUP]: 'v1',
};

/** What an apiVersion without a version was meant to be: the group and a `group/version` to write instead. */
export interface MissingVersion {
  /** The API group the value names or the kind belongs to, e.g. `networking.istio.io`. */
  readonly group: string;
  /** A full apiVersion to suggest, e.g. `networking.istio.io/v1`. */
  readonly suggestion: string;
}

/**
 * When `apiVersion` has no `/` but names an API group (it holds a dot, or is a group of the kind
 * table such as `apps`), or `kind` belongs to a non-core group while the value is a bare version
 * (`v1beta1` on a DestinationRule): the group meant and a full apiVersion to write. The API server
 * reads a value without `/` as core group, version = the value, and refuses such an object ("no
 * matches for kind"), so meshproof must not quietly treat it as an unmodelled kind. Undefined for a
 * well-formed apiVersion or a core kind at `v1`.
 */
export function missingVersion(apiVersion: string, kind: string): MissingVersion | undefined {
  if (apiVersion.includes('/')) return undefined;
  const lower = apiVersion.toLowerCase();
  const known = lower in STABLE_VERSION;
  if (lower.includes('.') || known) {
    return { group: lower, suggestion: `${lower}/${STABLE_VERSION[lower] ?? 'v1'}` };
  }
  if (TABLE.has(`/${kind}`)) return undefined; // a core kind: `v1` and friends are right
  const group = [...TABLE.values()].find((k) => k.kind === kind && k.group !== '')?.group
    ?? (GATEWAY_API_READ.has(kind) && kind !== 'Gateway' ? GATEWAY_API_GROUP : undefined);
  if (group === undefined) return undefined;
  return { group, suggestion: `${group}/${/^v\d/.test(apiVersion) ? apiVersion : STABLE_VERSION[group] ?? 'v1'}` };
}
