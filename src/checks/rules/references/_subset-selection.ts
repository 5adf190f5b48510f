import type { MeshGraph, ServiceInfo } from '../../../mesh/graph.js';
import { destinationRuleServices } from '../../../mesh/destination-rule-host.js';
import { analyzerPodLabelsOf, endpointLabelsOf, selectsEndpoint, type EndpointLabels } from '../../../mesh/endpoint-labels.js';
import { isRecord, stringMap, type MeshObject } from '../../../mesh/object.js';
import type { Workload } from '../../../mesh/workloads.js';
import { describePodValues, PER_POD_LABELS } from '../../../mesh/workloads.js';
import type { FieldPath } from '../../types.js';
import { nameOf } from './_helpers.js';

/**
 * One DestinationRule subset judged two ways: by istiod (which endpoints of the host carry the subset
 * labels) and by `istioctl analyze`'s destinationrule.SubsetSelectPodAnalyzer (whether ANY pod of the
 * input carries the host's workload selector merged with the subset labels: `labels.Merge(
 * se.GetWorkloadSelector().GetLabels(), subset.labels)`, where a Kubernetes Service converted by
 * `InitServiceEntryHostMap` has no selector, and pod labels are augmented by `label.AugmentLabels`).
 */
export interface SubsetSelection {
  readonly dr: MeshObject;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly path: FieldPath;
  /** The DestinationRule host as an FQDN. */
  readonly host: string;
  /** Endpoints of the host (pods, WorkloadEntries, ServiceEntry endpoints) istiod puts in the subset. */
  readonly istiodSelected: number;
  /** The host's workloads, each with its values for the subset's keys (for messages; listed on first read). */
  readonly candidates: readonly string[];
  /** Whether any pod (or pod template) of the input carries the merged selector, any namespace: what the analyzer asks. */
  readonly analyzerSelects: boolean;
  /** Those pods, in input order (computed on first read: most subsets need only {@link analyzerSelects}). */
  readonly analyzerPods: readonly Workload[];
}

/**
 * Every subset with labels of every DestinationRule whose host is found, judged as {@link SubsetSelection}
 * says; left out where the input does not decide istiod's answer (no workload of the host in the input, or
 * a match resting on a node or cluster label istiod adds at run time), as meshproof skips hosts deployed
 * from elsewhere.
 */
export function subsetSelections(graph: MeshGraph): readonly SubsetSelection[] {
  let out = SELECTIONS.get(graph);
  if (!out) SELECTIONS.set(graph, (out = computeSubsetSelections(graph)));
  return out;
}

/** Per graph: both subset rules read the same judgement. */
const SELECTIONS = new WeakMap<MeshGraph, readonly SubsetSelection[]>();

function computeSubsetSelections(graph: MeshGraph): SubsetSelection[] {
  const out: SubsetSelection[] = [];
  const nodeOf = (name: string) => graph.get('Node', '', name);
  let pods: { w: Workload; labels: EndpointLabels }[] | undefined;
  let podsIndex: PodIndex | undefined;
  // A workload's endpoint labels, found once: every subset of its service's DestinationRules asks them.
  const endpoints = new Map<Workload, EndpointLabels>();
  const endpointOf = (w: Workload): EndpointLabels => {
    let ep = endpoints.get(w);
    if (!ep) endpoints.set(w, (ep = endpointLabelsOf(w, nodeOf, graph.membershipOf(w).dataplane === 'sidecar')));
    return ep;
  };
  for (const dr of graph.ofKind('DestinationRule')) {
    const host = dr.spec.host;
    if (typeof host !== 'string' || host === '' || host.includes('*') || !Array.isArray(dr.spec.subsets)) continue;
    const services = destinationRuleServices(graph, dr);
    if (services.length === 0) continue;
    dr.spec.subsets.forEach((s, i) => {
      if (!isRecord(s) || typeof s.name !== 'string') return;
      const labels = stringMap(s.labels);
      if (Object.keys(labels).length === 0) return;
      const verdicts = services.map((svc) => istiodSelection(graph, svc, labels, endpointOf));
      if (verdicts.some((v) => v === null)) return;
      pods ??= graph.workloads.inInput
        .filter((w) => w.kind !== 'WorkloadEntry')
        .map((w) => ({ w, labels: analyzerPodLabelsOf(w, nodeOf, graph.membershipOf(w).dataplane === 'sidecar') }));
      podsIndex ??= new PodIndex(pods);
      const merged = services.map((svc) => ({ ...analyzerSelectorOf(svc), ...labels }));
      const candidates = podsIndex!.candidates(merged);
      const carries = (p: { labels: EndpointLabels }) => merged.some((m) => selectsEndpoint(m, p.labels) === 'yes');
      let analyzerPods: readonly Workload[] | undefined;
      let named: readonly string[] | undefined;
      out.push({
        dr, name: s.name, labels, path: ['spec', 'subsets', i, 'labels'],
        host: graph.resolveHost(host, dr.namespace).fqdn,
        istiodSelected: verdicts.reduce((n, v) => n + v!.selected, 0),
        get candidates() { return (named ??= [...new Set(verdicts.flatMap((v) => v!.candidates()))]); },
        analyzerSelects: candidates.some(carries),
        get analyzerPods() { return (analyzerPods ??= candidates.filter(carries).map((p) => p.w)); },
      });
    });
  }
  return out;
}

/**
 * The input's pods by `key=value` of their known labels, so a subset's selector is tried only on the pods that
 * carry one of its pairs (a 'yes' from {@link selectsEndpoint} needs every pair but per-pod ones, which a
 * StatefulSet's labels leave out): without it, every subset of every DestinationRule was tried on every pod.
 */
class PodIndex {
  private readonly byPair = new Map<string, { w: Workload; labels: EndpointLabels }[]>();
  constructor(private readonly pods: readonly { w: Workload; labels: EndpointLabels }[]) {
    for (const p of pods) {
      for (const [k, v] of Object.entries(p.labels.labels)) {
        const key = `${k}=${v}`;
        const list = this.byPair.get(key);
        if (list) list.push(p);
        else this.byPair.set(key, [p]);
      }
    }
  }

  /** The pods that may match one of `selectors`: for each, those with its rarest pair that is not a per-pod label (all pods when it has none). */
  candidates(selectors: readonly Readonly<Record<string, string>>[]): readonly { w: Workload; labels: EndpointLabels }[] {
    const lists: (readonly { w: Workload; labels: EndpointLabels }[])[] = [];
    for (const m of selectors) {
      let rarest: readonly { w: Workload; labels: EndpointLabels }[] | undefined;
      for (const k of Object.keys(m)) {
        if (PER_POD_LABELS.includes(k)) continue;
        const list = this.byPair.get(`${k}=${m[k]}`) ?? [];
        if (rarest === undefined || list.length < rarest.length) rarest = list;
      }
      if (rarest === undefined) return this.pods;
      lists.push(rarest);
    }
    if (lists.length === 1) return lists[0]!;
    const out = new Set(lists.flat());
    return this.pods.filter((p) => out.has(p)); // input order, as messages list them
  }
}

/** The workload selector the analyzer merges into a subset's: a ServiceEntry's `workloadSelector.labels`; none for a Service. */
function analyzerSelectorOf(svc: ServiceInfo): Record<string, string> {
  if (svc.kind !== 'ServiceEntry') return {};
  const ws = svc.object.spec.workloadSelector;
  return isRecord(ws) ? stringMap(ws.labels) : {};
}

/**
 * How many workloads (or ServiceEntry endpoints) of `svc` carry `labels`, and which ones it has;
 * null when the input does not let us decide (no selector, no workload of the service at all, or
 * a match that rests on a node or cluster label istiod adds at run time).
 */
function istiodSelection(graph: MeshGraph, svc: ServiceInfo, labels: Record<string, string>, endpointOf: (w: Workload) => EndpointLabels): { selected: number; candidates: () => string[] } | null {
  const endpoints = svc.kind === 'ServiceEntry' && Array.isArray(svc.object.spec.endpoints) ? svc.object.spec.endpoints.filter(isRecord) : [];
  if (endpoints.length > 0) {
    const epLabels = endpoints.map((e) => stringMap(e.labels));
    const selected = epLabels.filter((l) => Object.keys(labels).every((k) => l[k] === labels[k])).length;
    return { selected, candidates: () => epLabels.map((l, i) => `endpoint ${typeof endpoints[i]!.address === 'string' ? endpoints[i]!.address : i} ${fmtLabels(l)}`) };
  }
  if (!svc.selector) return null;
  const all = graph.workloadsSelectedBy(svc.namespace, svc.selector);
  if (all.length === 0) return null;
  const eps = all.map(endpointOf);
  const verdicts = eps.map((ep) => selectsEndpoint(labels, ep));
  if (verdicts.includes('unknown')) return null;
  const selected = verdicts.filter((v) => v === 'yes').length;
  return { selected, candidates: () => all.map((w, i) => `${w.kind} ${nameOf(w.object)} ${fmtLabels(subsetKeys(eps[i]!, labels))}`) };
}

/** The workload's values for the keys the subset selects on (what the user compares); a per-pod label lists its pods' values. */
function subsetKeys(workload: EndpointLabels, labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels)) out[k] = (workload.pods && PER_POD_LABELS.includes(k) ? describePodValues(workload.pods, k) : undefined) ?? workload.labels[k] ?? '(unset)';
  return out;
}

/** `{k: v, …}` as messages show labels. */
export function fmtLabels(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels).map((k) => `${k}: ${labels[k]}`).join(', ')}}`;
}
