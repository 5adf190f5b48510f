import { tryFindCrd } from '../validate/crds.js';
import { groupOf, knownKindNames } from './kinds.js';

/**
 * Which apiVersions the Kubernetes API server serves for the built-in kinds meshproof reads, for every
 * Kubernetes version meshproof supports (1.27 and later), and the versions removed before that (from
 * the Kubernetes "Deprecated API Migration Guide"). An object of a built-in kind at another version is
 * refused by `kubectl apply` ("no matches for kind … in version …") and never exists in the cluster.
 * Istio and Gateway API kinds are CRDs: their served versions come from the vendored CRDs (see
 * {@link ISTIO_READS}).
 */
interface Served {
  /** apiVersions served, e.g. `['apps/v1']`; the first is the one to suggest. */
  readonly served: readonly string[];
  /** apiVersion → the Kubernetes minor release that stopped serving it, e.g. `{'apps/v1beta1': '1.16'}`. */
  readonly removed: Readonly<Record<string, string>>;
}

const CORE_KINDS = ['Service', 'Pod', 'ReplicationController', 'Namespace', 'Node', 'ConfigMap', 'Secret', 'ServiceAccount', 'Endpoints', 'PersistentVolumeClaim', 'PersistentVolume', 'LimitRange', 'ResourceQuota'];
const APPS_1_16 = { 'apps/v1beta1': '1.16', 'apps/v1beta2': '1.16', 'extensions/v1beta1': '1.16' };
const V1BETA1_1_22 = (group: string) => ({ [`${group}/v1beta1`]: '1.22' });
const RBAC = { served: ['rbac.authorization.k8s.io/v1'], removed: { 'rbac.authorization.k8s.io/v1beta1': '1.22', 'rbac.authorization.k8s.io/v1alpha1': '1.22' } };
const WEBHOOKS = { served: ['admissionregistration.k8s.io/v1'], removed: V1BETA1_1_22('admissionregistration.k8s.io') };

const SERVED: ReadonlyMap<string, Served> = new Map<string, Served>([
  ...CORE_KINDS.map((k): [string, Served] => [k, { served: ['v1'], removed: {} }]),
  ['Deployment', { served: ['apps/v1'], removed: APPS_1_16 }],
  ['DaemonSet', { served: ['apps/v1'], removed: APPS_1_16 }],
  ['ReplicaSet', { served: ['apps/v1'], removed: APPS_1_16 }],
  ['StatefulSet', { served: ['apps/v1'], removed: { 'apps/v1beta1': '1.16', 'apps/v1beta2': '1.16' } }],
  ['Job', { served: ['batch/v1'], removed: {} }],
  ['CronJob', { served: ['batch/v1'], removed: { 'batch/v1beta1': '1.25' } }],
  ['Role', RBAC], ['RoleBinding', RBAC], ['ClusterRole', RBAC], ['ClusterRoleBinding', RBAC],
  ['HorizontalPodAutoscaler', { served: ['autoscaling/v2', 'autoscaling/v1'], removed: { 'autoscaling/v2beta1': '1.25', 'autoscaling/v2beta2': '1.26' } }],
  ['PodDisruptionBudget', { served: ['policy/v1'], removed: { 'policy/v1beta1': '1.25' } }],
  ['NetworkPolicy', { served: ['networking.k8s.io/v1'], removed: { 'extensions/v1beta1': '1.16' } }],
  ['Ingress', { served: ['networking.k8s.io/v1'], removed: { 'extensions/v1beta1': '1.22', 'networking.k8s.io/v1beta1': '1.22' } }],
  ['IngressClass', { served: ['networking.k8s.io/v1'], removed: V1BETA1_1_22('networking.k8s.io') }],
  ['CustomResourceDefinition', { served: ['apiextensions.k8s.io/v1'], removed: V1BETA1_1_22('apiextensions.k8s.io') }],
  ['MutatingWebhookConfiguration', WEBHOOKS], ['ValidatingWebhookConfiguration', WEBHOOKS],
  ['PriorityClass', { served: ['scheduling.k8s.io/v1'], removed: V1BETA1_1_22('scheduling.k8s.io') }],
  ['StorageClass', { served: ['storage.k8s.io/v1'], removed: V1BETA1_1_22('storage.k8s.io') }],
  ['EndpointSlice', { served: ['discovery.k8s.io/v1'], removed: { 'discovery.k8s.io/v1beta1': '1.25' } }],
]);

/**
 * The API groups built into the API server that hold a kind of {@link SERVED} (now or once). A kind
 * name of the table in another group (`serving.knative.dev/v1` Service) is someone's CRD, not checked.
 */
const BUILTIN_GROUPS: ReadonlySet<string> = new Set([
  '', 'apps', 'batch', 'extensions', 'rbac.authorization.k8s.io', 'autoscaling', 'policy', 'networking.k8s.io',
  'apiextensions.k8s.io', 'admissionregistration.k8s.io', 'scheduling.k8s.io', 'storage.k8s.io', 'discovery.k8s.io',
]);

/**
 * The versions Istio itself reads for each kind of an Istio or Gateway API CRD: its preferred version and
 * its version aliases (istio/istio pkg/config/schema/metadata.yaml `version`, `versionAliases`). An older
 * Gateway API install serves some of them (GRPCRoute and ReferenceGrant `v1alpha2`, HTTPRoute `v1beta1`)
 * although the vendored CRDs (Gateway API v1.6.1) no longer do, so such an object may well exist in a
 * cluster: only a version neither the vendored CRD serves nor Istio reads is refused here.
 */
const ISTIO_READS: ReadonlyMap<string, readonly string[]> = new Map([
  ...['VirtualService', 'Gateway', 'ServiceEntry', 'WorkloadEntry', 'WorkloadGroup', 'DestinationRule', 'Sidecar']
    .map((k): [string, string[]] => [`networking.istio.io/${k}`, ['v1', 'v1alpha3', 'v1beta1']]),
  ['networking.istio.io/EnvoyFilter', ['v1alpha3']],
  ['networking.istio.io/ProxyConfig', ['v1beta1']],
  ...['AuthorizationPolicy', 'RequestAuthentication', 'PeerAuthentication'].map((k): [string, string[]] => [`security.istio.io/${k}`, ['v1', 'v1beta1']]),
  ['telemetry.istio.io/Telemetry', ['v1', 'v1alpha1']],
  ['extensions.istio.io/WasmPlugin', ['v1alpha1']],
  ['extensions.istio.io/TrafficExtension', ['v1alpha1']],
  ...['GatewayClass', 'Gateway', 'HTTPRoute'].map((k): [string, string[]] => [`gateway.networking.k8s.io/${k}`, ['v1', 'v1alpha2', 'v1beta1']]),
  ...['GRPCRoute', 'TCPRoute', 'TLSRoute'].map((k): [string, string[]] => [`gateway.networking.k8s.io/${k}`, ['v1', 'v1alpha2']]),
  ['gateway.networking.k8s.io/UDPRoute', ['v1alpha2']],
  ['gateway.networking.k8s.io/ReferenceGrant', ['v1beta1', 'v1alpha2']],
  ['gateway.networking.k8s.io/BackendTLSPolicy', ['v1']],
  ['gateway.networking.k8s.io/ListenerSet', ['v1']],
]);

/**
 * Why an Istio or Gateway API object at `apiVersion` is refused: its kind has a vendored CRD
 * (`../validate/crds.ts`) that does not serve that version, and Istio does not read it either
 * ({@link ISTIO_READS}): `networking.istio.io/v9` VirtualService, `networking.istio.io/v1alpha2` Gateway,
 * `gateway.networking.k8s.io/v1alpha1` HTTPRoute. Undefined otherwise (a kind without a vendored CRD,
 * `RouteRule`, is left to `schema/crd-validation`).
 */
function unservedCrdReason(kind: string, apiVersion: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  if (slash <= 0 || slash !== apiVersion.lastIndexOf('/')) return undefined;
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const crd = crdOrUndefined(group, kind);
  if (!crd) return undefined;
  const served = crd.versions.filter((v) => v.served).map((v) => v.name);
  const read = ISTIO_READS.get(`${group}/${kind}`) ?? [];
  if (served.length === 0 || served.includes(version) || read.includes(version)) return undefined;
  const preferred = read.find((v) => served.includes(v)) ?? served[0]!;
  const list = served.map((v) => `${group}/${v}`);
  const as = list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]!}`;
  return `${kind} is served as ${as} (its CRD has no version ${version}, and Istio reads none by that name). kubectl apply fails ` +
    `(no matches for kind ${kind} in version ${apiVersion}) and the object never exists in the cluster, so meshproof does not model it. Write apiVersion: ${group}/${preferred}`;
}

/** The vendored CRD, or undefined when it has none or the generated CRD index is not built (reading must not fail for that; `schema/crd-validation` says so). */
function crdOrUndefined(group: string, kind: string): ReturnType<typeof tryFindCrd> {
  try {
    return tryFindCrd(group, kind);
  } catch {
    return undefined;
  }
}

/**
 * Why the API server refuses an object with this kind and apiVersion although meshproof knows the
 * kind, or undefined when it is served (or a kind meshproof does not know). Two cases:
 * - a built-in kind at an apiVersion no supported Kubernetes (1.27+) serves: `apps/v1beta1`
 *   Deployment ("Deployment is served as apps/v1; apps/v1beta1 was removed in Kubernetes 1.16"),
 *   `v2` Service, `apps` Deployment (no version);
 * - a kind spelled in another case than a kind of its group (`service`, `virtualService`): kinds are
 *   case-sensitive, so the API server finds no such kind ("did you mean Service?");
 * - an Istio or Gateway API kind at a version its CRD does not serve and Istio does not read
 *   (`networking.istio.io/v9` VirtualService).
 * The caller refuses the object: it would never exist in the cluster, so it must not satisfy references.
 */
export function unservedReason(kind: string, apiVersion: string): string | undefined {
  const group = groupOf(apiVersion);
  const entry = SERVED.get(kind);
  if (entry && BUILTIN_GROUPS.has(group) && !entry.served.includes(apiVersion)) {
    const served = entry.served.length === 1 ? entry.served[0]! : `${entry.served.slice(0, -1).join(', ')} or ${entry.served[entry.served.length - 1]!}`;
    const removed = entry.removed[apiVersion];
    const why = removed !== undefined ? `${apiVersion} was removed in Kubernetes ${removed}`
      : !apiVersion.includes('/') && group === '' && apiVersion !== '' && !/^v\d/.test(apiVersion) ? `"${apiVersion}" has no version`
      : `no Kubernetes version serves ${kind} as ${apiVersion}`;
    return `${kind} is served as ${served}; ${why}. kubectl apply fails (no matches for kind ${kind} in version ${apiVersion}) and the object never exists in the cluster, so meshproof does not model it. Write apiVersion: ${entry.served[0]!}`;
  }
  if (entry) return undefined;
  const crd = unservedCrdReason(kind, apiVersion);
  if (crd !== undefined) return crd;
  const sameGroup = knownKindNames(group);
  if (sameGroup.includes(kind)) return undefined;
  const folded = sameGroup.find((k) => k.toLowerCase() === kind.toLowerCase());
  if (folded === undefined) return undefined;
  return `kind "${kind}" is not a kind of ${group === '' ? 'the core API group' : group}: kinds are case-sensitive, so kubectl apply fails ("no matches for kind") and the object never exists in the cluster; meshproof does not model it. Did you mean ${folded}?`;
}

