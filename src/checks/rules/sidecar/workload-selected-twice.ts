import { selectorOf } from '../../../mesh/policy.js';
import type { MeshObject } from '../../../mesh/object.js';
import type { Workload } from '../../../mesh/graph.js';
import type { Rule } from '../../rule.js';

/** `sidecar/workload-selected-twice` (IST0110): a workload is selected by more than one Sidecar workloadSelector. */
const sidecarWorkloadSelectedTwice: Rule = {
  id: 'sidecar/workload-selected-twice',
  istioCode: 'IST0110',
  severity: 'error',
  summary: 'A workload is selected by the workloadSelector of more than one Sidecar.',
  docs: [
    'Istio applies exactly one Sidecar to a proxy. When the workloadSelectors of several Sidecars in a namespace',
    'match the same pods, which one applies is undefined, so egress hosts, ingress listeners and the outbound',
    'traffic policy may change from one istiod push to the next. Fix: make the selectors disjoint, or merge the',
    'Sidecars. Mirrors `istioctl analyze` IST0110 (ConflictingSidecarWorkloadSelectors).',
  ].join(' '),
  kinds: ['Sidecar', 'Deployment', 'Pod'],
  check(graph, ctx) {
    const selecting = new Map<Workload, MeshObject[]>();
    for (const sc of graph.ofKind('Sidecar')) {
      const selector = selectorOf(sc);
      if (!selector) continue;
      for (const w of graph.workloadsSelectedBy(sc.namespace, selector)) {
        const list = selecting.get(w);
        if (list) list.push(sc);
        else selecting.set(w, [sc]);
      }
    }
    // Workloads with the same set of Sidecars form one conflict; each Sidecar is reported once.
    const groups = new Map<string, { sidecars: MeshObject[]; workloads: Workload[] }>();
    for (const [w, sidecars] of selecting) {
      if (sidecars.length < 2) continue;
      const key = sidecars.map((o) => o.key).join('\u0000');
      const group = groups.get(key);
      if (group) group.workloads.push(w);
      else groups.set(key, { sidecars, workloads: [w] });
    }
    const conflicts = new Map<MeshObject, { others: Set<string>; workloads: Workload[] }>();
    for (const { sidecars, workloads } of groups.values()) {
      for (const sc of sidecars) {
        let c = conflicts.get(sc);
        if (!c) conflicts.set(sc, (c = { others: new Set(), workloads: [] }));
        for (const o of sidecars) if (o !== sc) c.others.add(o.name);
        c.workloads.push(...workloads);
      }
    }
    for (const [sc, { others, workloads }] of conflicts) {
      const names = workloads.map((w) => `${w.kind} ${w.name}`);
      const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
      const rivals = [...others].sort();
      const rivalText = rivals.length > 5 ? `${rivals.slice(0, 5).join(', ')} and ${rivals.length - 5} more` : rivals.join(', ');
      ctx.report(sc, `Sidecars ${sc.name} and ${rivalText} in namespace ${sc.namespace} select the same workloads (${shown}); a proxy gets exactly one Sidecar, so which applies is undefined: make the workloadSelectors disjoint or merge the Sidecars`, {
        path: ['spec', 'workloadSelector', 'labels'],
      });
    }
  },
};

export default sidecarWorkloadSelectedTwice;
