import type { MeshGraph, ServiceInfo } from '../../../mesh/graph.js';
import { isRecord, stringMap } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { destinationRuleServices } from '../../../mesh/destination-rule-host.js';
import { endpointLabelsOf, selectsEndpoint, type EndpointLabels } from '../../../mesh/endpoint-labels.js';
import { listOrNone, nameOf } from './_helpers.js';
import { describePodValues, PER_POD_LABELS } from '../../../mesh/workloads.js';

/** `references/subset-selects-workload` (IST0173): each subset's labels select at least one workload of its host. */
const subsetSelectsWorkload: Rule = {
  id: 'references/subset-selects-workload',
  istioCode: 'IST0173',
  severity: 'error',
  summary: 'A DestinationRule subset\'s labels, combined with the service selector, select no workload of that host.',
  docs: [
    'A subset\'s endpoints are the service\'s endpoints that also carry the subset labels. When no pod template',
    '(or WorkloadEntry, or ServiceEntry endpoint) has them, the subset cluster is empty and every request routed',
    'to it fails with 503 `UH` (no healthy upstream). Typical causes: a `version` label that differs from the',
    'Deployment\'s (`v2` vs `2.0`), or a subset added before its Deployment. Fix the labels or deploy the version.',
    'To avoid guessing about workloads deployed from elsewhere, a host is only checked when the input contains at',
    'least one workload (or endpoint) of it. Like istiod, endpoints carry the node and topology labels it adds',
    '(`kubernetes.io/hostname` from the pod\'s `nodeName`, region, zone and subzone from that Node\'s labels); a',
    'subset that selects on such a label is only judged when the input determines its value (a Pod with `nodeName`',
    'and the Node, or a `nodeSelector`), never from the pod template\'s own labels. Mirrors `istioctl analyze` IST0173,',
    'with one deliberate difference: istioctl matches subset labels against every pod of the input (the Service it',
    'converts for the check has no workload selector), so a label carried only by ANOTHER service\'s pods satisfies it;',
    'istiod builds the subset from this service\'s endpoints, so meshproof reports it.',
  ].join(' '),
  kinds: ['DestinationRule', 'Service', 'ServiceEntry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry', 'Node'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      const host = dr.spec.host;
      if (typeof host !== 'string' || host === '' || host.includes('*') || !Array.isArray(dr.spec.subsets)) continue;
      const services = destinationRuleServices(graph, dr);
      dr.spec.subsets.forEach((s, i) => {
        if (!isRecord(s) || typeof s.name !== 'string') return;
        const labels = stringMap(s.labels);
        if (Object.keys(labels).length === 0) return;
        const verdicts = services.map((svc) => selection(graph, svc, labels));
        if (verdicts.length === 0 || verdicts.some((v) => v === null || v.selected > 0)) return;
        const known = [...new Set(verdicts.flatMap((v) => v!.candidates))];
        ctx.report(
          dr,
          `Subset "${s.name}" labels ${fmt(labels)} select no workload of ${graph.resolveHost(host, dr.namespace).fqdn}; ` +
            `its workloads are ${listOrNone(known)}: fix the labels or deploy a workload carrying them`,
          { path: ['spec', 'subsets', i, 'labels'] },
        );
      });
    }
  },
};

/**
 * How many workloads (or ServiceEntry endpoints) of `svc` carry `labels`, and which ones it has;
 * null when the input does not let us decide (no selector, no workload of the service at all, or
 * a match that rests on a node or cluster label istiod adds at run time).
 */
function selection(graph: MeshGraph, svc: ServiceInfo, labels: Record<string, string>): { selected: number; candidates: string[] } | null {
  const endpoints = svc.kind === 'ServiceEntry' && Array.isArray(svc.object.spec.endpoints) ? svc.object.spec.endpoints.filter(isRecord) : [];
  if (endpoints.length > 0) {
    const epLabels = endpoints.map((e) => stringMap(e.labels));
    const selected = epLabels.filter((l) => Object.keys(labels).every((k) => l[k] === labels[k])).length;
    return { selected, candidates: epLabels.map((l, i) => `endpoint ${typeof endpoints[i]!.address === 'string' ? endpoints[i]!.address : i} ${fmt(l)}`) };
  }
  if (!svc.selector) return null;
  const all = graph.workloadsSelectedBy(svc.namespace, svc.selector);
  if (all.length === 0) return null;
  const nodeOf = (name: string) => graph.get('Node', '', name);
  const eps = all.map((w) => endpointLabelsOf(w, nodeOf, graph.membershipOf(w).dataplane === 'sidecar'));
  const verdicts = eps.map((ep) => selectsEndpoint(labels, ep));
  if (verdicts.includes('unknown')) return null;
  const selected = verdicts.filter((v) => v === 'yes').length;
  return { selected, candidates: all.map((w, i) => `${w.kind} ${nameOf(w.object)} ${fmt(subsetKeys(eps[i]!, labels))}`) };
}

/** The workload's values for the keys the subset selects on (what the user compares); a per-pod label lists its pods' values. */
function subsetKeys(workload: EndpointLabels, labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels)) out[k] = (workload.pods && PER_POD_LABELS.includes(k) ? describePodValues(workload.pods, k) : undefined) ?? workload.labels[k] ?? '(unset)';
  return out;
}

function fmt(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels).map((k) => `${k}: ${labels[k]}`).join(', ')}}`;
}

export default subsetSelectsWorkload;
