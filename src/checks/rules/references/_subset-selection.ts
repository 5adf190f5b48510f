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
  /** The host's workloads, each with its values for the subset's keys (for messages). */
  readonly candidates: readonly string[];
  /** Pods (or pod templates) of the input the analyzer finds carrying the merged selector, any namespace. */
  readonly analyzerPods: readonly Workload[];
}

/**
 * Every subset with labels of every DestinationRule whose host is found, judged as {@link SubsetSelection}
 * says; left out where the input does not decide istiod's answer (no workload of the host in the input, or
 * a match resting on a node or cluster label istiod adds at run time), as meshproof skips hosts deployed
 * from elsewhere.
 */
export function subsetSelections(graph: MeshGraph): SubsetSelection[] {
  const out: SubsetSelection[] = [];
  const nodeOf = (name: string) => graph.get('Node', '', name);
  let pods: { w: Workload; labels: EndpointLabels }[] | undefined;
  for (const dr of graph.ofKind('DestinationRule')) {
    const host = dr.spec.host;
    if (typeof host !== 'string' || host === '' || host.includes('*') || !Array.isArray(dr.spec.subsets)) continue;
    const services = destinationRuleServices(graph, dr);
    if (services.length === 0) continue;
    dr.spec.subsets.forEach((s, i) => {
      if (!isRecord(s) || typeof s.name !== 'string') return;
      const labels = stringMap(s.labels);
      if (Object.keys(labels).length === 0) return;
      const verdicts = services.map((svc) => istiodSelection(graph, svc, labels));
      if (verdicts.some((v) => v === null)) return;
      pods ??= graph.workloads.inInput
        .filter((w) => w.kind !== 'WorkloadEntry')
        .map((w) => ({ w, labels: analyzerPodLabelsOf(w, nodeOf, graph.membershipOf(w).dataplane === 'sidecar') }));
      const merged = services.map((svc) => ({ ...analyzerSelectorOf(svc), ...labels }));
      const analyzerPods = pods.filter((p) => merged.some((m) => selectsEndpoint(m, p.labels) === 'yes')).map((p) => p.w);
      out.push({
        dr, name: s.name, labels, path: ['spec', 'subsets', i, 'labels'],
        host: graph.resolveHost(host, dr.namespace).fqdn,
        istiodSelected: verdicts.reduce((n, v) => n + v!.selected, 0),
        candidates: [...new Set(verdicts.flatMap((v) => v!.candidates))],
        analyzerPods,
      });
    });
  }
  return out;
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
function istiodSelection(graph: MeshGraph, svc: ServiceInfo, labels: Record<string, string>): { selected: number; candidates: string[] } | null {
  const endpoints = svc.kind === 'ServiceEntry' && Array.isArray(svc.object.spec.endpoints) ? svc.object.spec.endpoints.filter(isRecord) : [];
  if (endpoints.length > 0) {
    const epLabels = endpoints.map((e) => stringMap(e.labels));
    const selected = epLabels.filter((l) => Object.keys(labels).every((k) => l[k] === labels[k])).length;
    return { selected, candidates: epLabels.map((l, i) => `endpoint ${typeof endpoints[i]!.address === 'string' ? endpoints[i]!.address : i} ${fmtLabels(l)}`) };
  }
  if (!svc.selector) return null;
  const all = graph.workloadsSelectedBy(svc.namespace, svc.selector);
  if (all.length === 0) return null;
  const nodeOf = (name: string) => graph.get('Node', '', name);
  const eps = all.map((w) => endpointLabelsOf(w, nodeOf, graph.membershipOf(w).dataplane === 'sidecar'));
  const verdicts = eps.map((ep) => selectsEndpoint(labels, ep));
  if (verdicts.includes('unknown')) return null;
  const selected = verdicts.filter((v) => v === 'yes').length;
  return { selected, candidates: all.map((w, i) => `${w.kind} ${nameOf(w.object)} ${fmtLabels(subsetKeys(eps[i]!, labels))}`) };
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
