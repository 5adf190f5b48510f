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
const CORE = ['Service', 'Pod', 'Namespace', 'Node', 'ConfigMap', 'Secret', 'ServiceAccount', 'Endpoints', 'PersistentVolumeClaim', 'LimitRange', 'ResourceQuota'];
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

const GATEWAY_API_READ = new Set(['Gateway', 'ReferenceGrant', ...GATEWAY_API_ROUTE_KINDS]);

/**
 * Whether meshproof models (kind, group): it has a {@link kindInfo} entry or is a Gateway API kind
 * the rules read. Anything else gets the `input/unknown-kind` note.
 */
export function isModelledKind(kind: string, apiVersion: string): boolean {
  return kindInfo(kind, apiVersion) !== undefined || (groupOf(apiVersion) === GATEWAY_API_GROUP && GATEWAY_API_READ.has(kind));
}

/** The kind's entry, or undefined when meshproof does not model (kind, group). */
export function kindInfo(kind: string, apiVersion: string): KindInfo | undefined {
  return TABLE.get(`${groupOf(apiVersion)}/${kind}`);
}
