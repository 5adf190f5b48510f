import type { FieldPath } from './types.js';
import { isRecord, stringMap, type MeshObject } from './object.js';
import { push, selects } from './services.js';
import { TEMPLATE_PATHS } from '../validate/authorization.js';
import { gatewayOfManagedDeployment } from './gateway-api-deployment.js';

/**
 * Kinds that run pods and that meshproof models as workloads (their pod template's labels are what
 * selectors match, as istiod matches the pods they create): Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, ReplicationController (core `v1`), Job, CronJob, Pod and Argo Rollouts' `Rollout` (`argoproj.io`). A change to one
 * reaches only the services selecting it.
 */
export const POD_WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'Pod', 'Rollout']);

/** The API group of Argo Rollouts (`argoproj.io/v1alpha1` `Rollout`). */
export const ARGO_ROLLOUTS_GROUP = 'argoproj.io';

/** The group each pod workload kind is modelled in (any other group's kind of that name is not a workload). */
const WORKLOAD_GROUPS: Readonly<Record<string, string>> = {
  Deployment: 'apps', StatefulSet: 'apps', DaemonSet: 'apps', ReplicaSet: 'apps', ReplicationController: '', Job: 'batch', CronJob: 'batch', Pod: '',
  Rollout: ARGO_ROLLOUTS_GROUP,
};

/** {@link POD_WORKLOAD_KINDS} and WorkloadEntry (a VM or other non-Kubernetes endpoint), the kinds a {@link WorkloadRegistry} indexes. */
export const WORKLOAD_KINDS: readonly string[] = [...POD_WORKLOAD_KINDS, 'WorkloadEntry'];

export interface ContainerPort {
  readonly container: string;
  readonly containerPort: number;
  readonly name?: string;
  readonly protocol: string;
}

/** Something that runs pods (or a WorkloadEntry VM): what selectors and policies apply to. */
export interface Workload {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly object: MeshObject;
  /** Pod template labels (WorkloadEntry `spec.labels`, Pod `metadata.labels`). */
  readonly labels: Readonly<Record<string, string>>;
  /** `serviceAccountName` (or `serviceAccount`), default `default`. */
  readonly serviceAccount: string;
  readonly containerPorts: readonly ContainerPort[];
  /** Path to the pod template in the object (`['spec','template']`), `[]` for Pods. */
  readonly templatePath: FieldPath;
  /**
   * The Gateway API Gateway istiod creates this Deployment for, when the input does not hold it
   * (`gateway-api-deployment.ts`); absent for a workload of the input.
   */
  readonly generatedFrom?: MeshObject;
}

/** Labels the StatefulSet controller sets on each pod it creates. */
export const LABEL_STATEFULSET_POD_NAME = 'statefulset.kubernetes.io/pod-name';
export const LABEL_POD_INDEX = 'apps.kubernetes.io/pod-index';

/** The per-pod labels: {@link LABEL_STATEFULSET_POD_NAME} and {@link LABEL_POD_INDEX}. */
export const PER_POD_LABELS: readonly string[] = [LABEL_STATEFULSET_POD_NAME, LABEL_POD_INDEX];

/**
 * A StatefulSet's pods, by ordinal: the StatefulSet controller names each pod it creates and labels it
 * with its name and ordinal, overriding the template's (kubernetes pkg/controller/statefulset
 * `initIdentity`): `<name>-<ordinal>` for every ordinal from `spec.ordinals.start` (default 0) over
 * `spec.replicas` (default 1, also for a value the API server refuses: not an integer, `.inf`). Kept as
 * a range, never listed: `replicas` may be two billion.
 */
export interface PodOrdinals {
  /** The StatefulSet's name, the pods' name prefix. */
  readonly name: string;
  /** First ordinal. */
  readonly start: number;
  /** Number of pods (`spec.replicas`), ≥ 0. */
  readonly count: number;
}

/** The pod ordinals of `w` when it is a StatefulSet, else `undefined` (its pods share all labels). */
export function podOrdinalsOf(w: Workload): PodOrdinals | undefined {
  if (w.kind !== 'StatefulSet') return undefined;
  const spec = w.object.spec;
  const replicas = Number.isSafeInteger(spec.replicas) ? spec.replicas as number : 1;
  const start = isRecord(spec.ordinals) && Number.isSafeInteger(spec.ordinals.start) ? spec.ordinals.start as number : 0;
  return { name: w.name, start, count: Math.max(0, replicas) };
}

/**
 * The ordinal of the pod of `pods` that carries per-pod label `key` with `value`, or `undefined` when
 * none does (`key` not a per-pod label, a value no pod has: another name, an ordinal out of range,
 * `"01"`).
 */
export function ordinalCarrying(pods: PodOrdinals, key: string, value: string): number | undefined {
  let digits: string;
  if (key === LABEL_POD_INDEX) digits = value;
  else if (key === LABEL_STATEFULSET_POD_NAME && value.startsWith(`${pods.name}-`)) digits = value.slice(pods.name.length + 1);
  else return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(digits)) return undefined;
  const i = Number(digits);
  return i >= pods.start && i < pods.start + pods.count ? i : undefined;
}

/** The per-pod labels of pod `ordinal` of `pods`. */
export function podLabelsOf(pods: PodOrdinals, ordinal: number): Record<string, string> {
  return { [LABEL_STATEFULSET_POD_NAME]: `${pods.name}-${ordinal}`, [LABEL_POD_INDEX]: String(ordinal) };
}

/**
 * Whether one pod of `pods` carries every per-pod label `selector` names (`'any'` when it names none):
 * the entries must agree on one ordinal in range.
 */
export function perPodSelects(pods: PodOrdinals, selector: Readonly<Record<string, string>>): boolean | 'any' {
  let ordinal: number | undefined;
  let named = false;
  for (const k of PER_POD_LABELS) {
    const v = selector[k];
    if (v === undefined) continue;
    named = true;
    const i = ordinalCarrying(pods, k, v);
    if (i === undefined || (ordinal !== undefined && ordinal !== i)) return false;
    ordinal = i;
  }
  return named ? true : 'any';
}

/** `db-0 | db-1 | db-2`, or `db-0 … db-99 (100 pods)`: what a per-pod label of `pods` takes, for messages. */
export function describePodValues(pods: PodOrdinals, key: string): string {
  const value = (i: number) => podLabelsOf(pods, i)[key]!;
  if (pods.count === 0) return '(no pods: replicas 0)';
  if (pods.count <= 4) return Array.from({ length: pods.count }, (_, i) => value(pods.start + i)).join(' | ');
  return `${value(pods.start)} … ${value(pods.start + pods.count - 1)} (${pods.count} pods)`;
}

/**
 * The labels Istio's sidecar injector writes on a pod it injects, where the template does not
 * (manifests/charts/istio-control/istio-discovery/files/injection-template.yaml `metadata.labels`):
 * `security.istio.io/tlsMode: istio`, `service.istio.io/canonical-name` (from `app.kubernetes.io/name`,
 * else `app`, else the workload's name) and `service.istio.io/canonical-revision` (from
 * `app.kubernetes.io/version`, else `version`, else `latest`).
 */
export function injectedPodLabelsOf(w: Workload): Readonly<Record<string, string>> {
  const l = w.labels;
  const name = (l['service.istio.io/canonical-name'] ?? l['app.kubernetes.io/name'] ?? l.app ?? w.name).slice(0, 63).replace(/^[-_.]+|[-_.]+$/g, '');
  return {
    'security.istio.io/tlsMode': l['security.istio.io/tlsMode'] ?? 'istio',
    'service.istio.io/canonical-name': name,
    'service.istio.io/canonical-revision': l['service.istio.io/canonical-revision'] ?? l['app.kubernetes.io/version'] ?? l.version ?? 'latest',
  };
}

/**
 * Whether `selector` selects at least one pod of `w`: its template labels (plus, when `injected`, the
 * labels the sidecar injector adds), with a StatefulSet's per-pod labels ({@link PodOrdinals}) matching
 * when one pod carries all the values named.
 */
export function selectsSomePod(selector: Readonly<Record<string, string>>, w: Workload, injected = false): boolean {
  const pods = podOrdinalsOf(w);
  const labels = injected ? { ...injectedPodLabelsOf(w), ...w.labels } : w.labels;
  if (pods && perPodSelects(pods, selector) === false) return false;
  return Object.keys(selector).every((k) => (pods && PER_POD_LABELS.includes(k)) || (Object.hasOwn(labels, k) && labels[k] === selector[k]));
}

/**
 * What Argo Rollouts' `spec.workloadRef` (v1alpha1 `ObjectRef`) may name, as its template resolver
 * (rollout/templateref.go `infoByGroupKind`) supports: group/kind → where the pod template sits.
 */
export const ROLLOUT_WORKLOAD_REF_KINDS: Readonly<Record<string, FieldPath>> = {
  'apps/Deployment': ['spec', 'template'],
  'apps/ReplicaSet': ['spec', 'template'],
  '/PodTemplate': ['template'],
};

/** A Rollout's `spec.workloadRef`: the object whose pod template the Rollout runs, in the Rollout's namespace. */
export interface RolloutWorkloadRef {
  /** `workloadRef.apiVersion` (`apps/v1`), `''` when absent. */
  readonly apiVersion: string;
  /** API group of `apiVersion` (`apps`; `''` for `v1`). */
  readonly group: string;
  /** `workloadRef.kind`, `''` when absent. */
  readonly kind: string;
  /** `workloadRef.name`, `''` when absent. */
  readonly name: string;
  /** Path to `workloadRef` in the Rollout. */
  readonly path: FieldPath;
}

/**
 * The `spec.workloadRef` of an Argo `Rollout` (`argoproj.io`), or undefined when it has none (it
 * then runs `spec.template`) or `o` is not a Rollout. Fields that are not strings read as `''`.
 */
export function rolloutWorkloadRef(o: MeshObject): RolloutWorkloadRef | undefined {
  if (o.kind !== 'Rollout' || o.group !== ARGO_ROLLOUTS_GROUP || !isRecord(o.spec.workloadRef)) return undefined;
  const r = o.spec.workloadRef;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const apiVersion = str(r.apiVersion);
  const slash = apiVersion.lastIndexOf('/');
  return {
    apiVersion, group: slash < 0 ? '' : apiVersion.slice(0, slash), kind: str(r.kind), name: str(r.name),
    path: ['spec', 'workloadRef'],
  };
}

function dig(v: unknown, path: FieldPath): unknown {
  for (const p of path) v = isRecord(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function workloadOf(o: MeshObject): Workload | null {
  if (o.kind === 'WorkloadEntry') {
    return {
      kind: o.kind, name: o.name, namespace: o.namespace, object: o,
      labels: stringMap(o.spec.labels),
      serviceAccount: typeof o.spec.serviceAccount === 'string' ? o.spec.serviceAccount : 'default',
      containerPorts: [], templatePath: ['spec'],
    };
  }
  const templatePath = Object.hasOwn(TEMPLATE_PATHS, o.kind) ? TEMPLATE_PATHS[o.kind] : undefined;
  if (!templatePath || !Object.hasOwn(WORKLOAD_GROUPS, o.kind) || (o.kind !== 'Pod' && WORKLOAD_GROUPS[o.kind] !== o.group)) return null;
  // A Rollout with `spec.workloadRef` runs the referenced workload's pod template; that Deployment
  // or ReplicaSet is the workload already (Argo scales it down and runs the same pods in its place),
  // so the Rollout adds none of its own. Argo refuses a template beside workloadRef.
  if (o.kind === 'Rollout' && rolloutWorkloadRef(o) !== undefined) return null;
  const template = dig(o.body, templatePath);
  if (!isRecord(template)) return null;
  const spec = isRecord(template.spec) ? template.spec : {};
  const containerPorts: ContainerPort[] = [];
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) {
    if (!isRecord(c)) continue;
    for (const p of Array.isArray(c.ports) ? c.ports : []) {
      if (!isRecord(p) || typeof p.containerPort !== 'number') continue;
      containerPorts.push({
        container: typeof c.name === 'string' ? c.name : '',
        containerPort: p.containerPort,
        ...(typeof p.name === 'string' ? { name: p.name } : {}),
        protocol: typeof p.protocol === 'string' ? p.protocol : 'TCP',
      });
    }
  }
  const sa = spec.serviceAccountName ?? spec.serviceAccount;
  const generatedFrom = gatewayOfManagedDeployment(o);
  return {
    kind: o.kind, name: o.name, namespace: o.namespace, object: o,
    labels: stringMap(isRecord(template.metadata) ? template.metadata.labels : undefined),
    serviceAccount: typeof sa === 'string' && sa !== '' ? sa : 'default',
    containerPorts, templatePath,
    ...(generatedFrom ? { generatedFrom } : {}),
  };
}

/** Workloads indexed by namespace and by `key=value` label, for selector queries without scans. */
export class WorkloadRegistry {
  readonly all: readonly Workload[];
  /**
   * The workloads of the input: {@link all} but those istiod would create ({@link Workload.generatedFrom}).
   * Rules that skip input holding no workload at all (Istio config checked on its own) count these.
   */
  readonly inInput: readonly Workload[];
  private readonly byNamespace = new Map<string, Workload[]>();
  private readonly byLabel = new Map<string, Workload[]>();
  private readonly byNamespaceLabel = new Map<string, Workload[]>();
  private readonly byObject = new Map<MeshObject, Workload>();

  /**
   * Indexes the workloads of `objects`. With `previous` (the registry of a graph this one replaces),
   * an object of it gets its very `Workload` (a pure function of the object), so what is keyed on
   * the workload (its membership) stays valid.
   */
  constructor(objects: Iterable<MeshObject>, previous?: WorkloadRegistry) {
    const all: Workload[] = [];
    for (const o of objects) {
      const w = previous?.byObject.get(o) ?? workloadOf(o);
      if (!w) continue;
      all.push(w);
      this.byObject.set(o, w);
      push(this.byNamespace, w.namespace, w);
      for (const k of Object.keys(w.labels)) {
        const pair = `${k}=${w.labels[k]}`;
        push(this.byLabel, pair, w);
        push(this.byNamespaceLabel, `${w.namespace}\u0000${pair}`, w);
      }
    }
    this.all = all;
    this.inInput = all.filter((w) => w.generatedFrom === undefined);
  }

  /** The workload an object (Deployment, Pod, WorkloadEntry…) defines, if any. */
  of(object: MeshObject): Workload | undefined {
    return this.byObject.get(object);
  }

  inNamespace(namespace: string): readonly Workload[] {
    return this.byNamespace.get(namespace) ?? [];
  }

  /**
   * Workloads whose labels carry every `selector` pair, in `namespace` (or any namespace when
   * null). An empty selector selects every workload in scope.
   */
  selectedBy(namespace: string | null, selector: Readonly<Record<string, string>>): Workload[] {
    const keys = Object.keys(selector);
    if (keys.length === 0) return [...(namespace === null ? this.all : this.inNamespace(namespace))];
    let best: readonly Workload[] | undefined;
    for (const k of keys) {
      const pair = `${k}=${selector[k]}`;
      const list = (namespace === null ? this.byLabel.get(pair) : this.byNamespaceLabel.get(`${namespace}\u0000${pair}`)) ?? [];
      if (!best || list.length < best.length) best = list;
      if (list.length === 0) return [];
    }
    return best!.filter((w) => selects(selector, w.labels));
  }

  /**
   * Workloads at least one of whose pods `selector` selects ({@link selectsSomePod}), in `namespace` (or
   * any namespace when null): what a policy or Sidecar selector binds, for judging whether it binds anything.
   * @param injected whether a workload's pods get a sidecar (then they carry {@link injectedPodLabelsOf})
   */
  somePodSelectedBy(namespace: string | null, selector: Readonly<Record<string, string>>, injected: (w: Workload) => boolean = () => false): Workload[] {
    return (namespace === null ? this.all : this.inNamespace(namespace)).filter((w) => selectsSomePod(selector, w, injected(w)));
  }
}
