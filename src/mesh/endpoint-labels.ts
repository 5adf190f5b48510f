/**
 * The labels an endpoint carries in istiod, which are more than the pod's: pilot's
 * `label.AugmentLabels` adds the node's locality (`topology.kubernetes.io/region`, `…/zone`,
 * `topology.istio.io/subzone`), `kubernetes.io/hostname` (the pod's `spec.nodeName`),
 * `topology.istio.io/cluster` and `topology.istio.io/network`. DestinationRule subsets select on
 * these labels like any other. Offline, a value is known only when the input says it (a Pod's
 * `nodeName` and that Node's labels, or a `nodeSelector` pinning the key); otherwise it is unknown,
 * and a selector on it can neither be proven to match nor to miss. A pod also carries the labels the
 * sidecar injector adds (when `injected`) and its controller adds: a StatefulSet's `statefulset.kubernetes.io/pod-name` (`<name>-<ordinal>`) and
 * `apps.kubernetes.io/pod-index`, one value per replica; hashes (`pod-template-hash`,
 * `controller-revision-hash`) that are unknown offline.
 */
import { isRecord, stringMap, type MeshObject } from './object.js';
import { selects } from './services.js';
import { injectedPodLabelsOf, PER_POD_LABELS, perPodSelects, podOrdinalsOf, type PodOrdinals, type Workload } from './workloads.js';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_REGION = 'topology.kubernetes.io/region';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_SUBZONE = 'topology.istio.io/subzone';
export const LABEL_CLUSTER = 'topology.istio.io/cluster';
export const LABEL_NETWORK = 'topology.istio.io/network';

/** Every label istiod may add to an endpoint (pilot `label.AugmentLabels`). */
export const AUGMENTED_LABELS: readonly string[] = [LABEL_HOSTNAME, LABEL_REGION, LABEL_ZONE, LABEL_SUBZONE, LABEL_CLUSTER, LABEL_NETWORK];
const LOCALITY = [LABEL_REGION, LABEL_ZONE, LABEL_SUBZONE] as const;

/** Labels a controller puts on the pods it creates whose value is a hash known only at run time. */
const CONTROLLER_HASH_LABELS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['pod-template-hash'],
  StatefulSet: ['controller-revision-hash'],
  DaemonSet: ['controller-revision-hash', 'pod-template-generation'],
  Rollout: ['rollouts-pod-template-hash'],
};

export interface EndpointLabels {
  /** Pod labels plus every augmented label whose value the input determines. */
  readonly labels: Readonly<Record<string, string>>;
  /** Augmented labels istiod sets at run time from facts not in the input (node, cluster, network), and controller hashes. */
  readonly unknown: ReadonlySet<string>;
  /** A StatefulSet's pods, whose name and index labels differ per pod ({@link PER_POD_LABELS}); undefined for other workloads. */
  readonly pods?: PodOrdinals;
}


function podSpecOf(w: Workload): Record<string, unknown> {
  let v: unknown = w.object.body;
  for (const p of [...w.templatePath, 'spec']) v = isRecord(v) ? v[p as string] : undefined;
  return isRecord(v) ? v : {};
}

/**
 * The labels istiod gives the endpoints of `w`, as far as the input tells: `nodeOf` finds a Node
 * by name (undefined when the input has none of that name); `injected`: the pods get a sidecar.
 */
export function endpointLabelsOf(w: Workload, nodeOf: (name: string) => MeshObject | undefined, injected = false): EndpointLabels {
  if (w.kind === 'WorkloadEntry') {
    // WorkloadEntry locality and network are fields of the entry itself.
    const labels: Record<string, string> = { ...w.labels };
    const unknown = new Set<string>([LABEL_HOSTNAME, LABEL_CLUSTER]);
    const locality = typeof w.object.spec.locality === 'string' ? w.object.spec.locality.split('/') : [];
    LOCALITY.forEach((k, i) => { if (locality[i]) labels[k] = locality[i]!; });
    if (typeof w.object.spec.network === 'string' && w.object.spec.network !== '' && !labels[LABEL_NETWORK]) labels[LABEL_NETWORK] = w.object.spec.network;
    else if (!labels[LABEL_NETWORK]) unknown.add(LABEL_NETWORK);
    return { labels, unknown };
  }
  const spec = podSpecOf(w);
  const labels: Record<string, string> = injected ? { ...injectedPodLabelsOf(w), ...w.labels } : { ...w.labels };
  const unknown = new Set<string>([LABEL_CLUSTER, ...(CONTROLLER_HASH_LABELS[w.kind] ?? []).filter((k) => labels[k] === undefined)]);
  if (!labels[LABEL_NETWORK]) unknown.add(LABEL_NETWORK);
  const pods = podOrdinalsOf(w);
  if (pods) for (const k of PER_POD_LABELS) delete labels[k];
  const nodeSelector = stringMap(spec.nodeSelector);
  const nodeName = typeof spec.nodeName === 'string' && spec.nodeName !== '' ? spec.nodeName : nodeSelector[LABEL_HOSTNAME];
  if (nodeName !== undefined) labels[LABEL_HOSTNAME] = nodeName;
  else unknown.add(LABEL_HOSTNAME);
  const node = nodeName !== undefined ? nodeOf(nodeName) : undefined;
  for (const k of LOCALITY) {
    const v = node ? node.labels[k] : nodeSelector[k];
    if (v !== undefined && v !== '') labels[k] = v;
    else if (!node) unknown.add(k); // a known Node without the label: istiod adds none, the pod's own value stays
  }
  return { labels, unknown, ...(pods ? { pods } : {}) };
}

/**
 * Whether endpoints with `ep` labels match `selector`: `'yes'`, `'no'`, or `'unknown'` when the
 * answer rests on an augmented label the input does not determine.
 */
export function selectsEndpoint(selector: Readonly<Record<string, string>>, ep: EndpointLabels): 'yes' | 'no' | 'unknown' {
  // Called for every subset against many endpoints: no closures or copies on the way to 'no'.
  let unknown = false;
  const pods = ep.pods;
  if (pods && perPodSelects(pods, selector) === false) return 'no';
  for (const k in selector) {
    if (pods !== undefined && PER_POD_LABELS.includes(k)) continue;
    if (ep.unknown.has(k)) unknown = true;
    else if (ep.labels[k] !== selector[k]) return 'no';
  }
  if (unknown) return 'unknown';
  if (pods === undefined) return selects(selector, ep.labels) ? 'yes' : 'no';
  const fixed: Record<string, string> = {};
  for (const k in selector) if (!PER_POD_LABELS.includes(k)) fixed[k] = selector[k]!;
  return selects(fixed, ep.labels) ? 'yes' : 'no';
}

/**
 * The labels `istioctl analyze`'s destinationrule.SubsetSelectPodAnalyzer gives a pod before matching
 * subsets: the pod's labels augmented by `label.AugmentLabels` with the locality it builds from the
 * Node's labels through `LocalityToString`, which stops at the first empty level: a Node with a region
 * and a subzone but no zone gives the region only, so (unlike istiod, whose `getPodLocality` keeps
 * `region//subzone`) no `topology.istio.io/subzone`. Values the input does not determine stay unknown.
 */
export function analyzerPodLabelsOf(w: Workload, nodeOf: (name: string) => MeshObject | undefined, injected = false): EndpointLabels {
  const ep = endpointLabelsOf(w, nodeOf, injected);
  const node = ep.labels[LABEL_HOSTNAME] !== undefined ? nodeOf(ep.labels[LABEL_HOSTNAME]) : undefined;
  if (!node || w.kind === 'WorkloadEntry') return ep;
  const zone = node.labels[LABEL_ZONE];
  const subzone = node.labels[LABEL_SUBZONE];
  if ((zone !== undefined && zone !== '') || subzone === undefined || subzone === '') return ep;
  // The Node's subzone is dropped: the pod keeps its own label, if any.
  const labels = { ...ep.labels };
  const own = w.labels[LABEL_SUBZONE];
  if (own !== undefined) labels[LABEL_SUBZONE] = own;
  else delete labels[LABEL_SUBZONE];
  return { ...ep, labels };
}
