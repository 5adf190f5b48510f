import { selectorOf } from '../../../mesh/policy.js';
import type { MeshObject } from '../../../mesh/object.js';
import type { Workload } from '../../../mesh/graph.js';
import { workloadInAmbientMode } from './_ambient.js';
import type { Rule } from '../../rule.js';
import { listSome } from '../_lists.js';

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
  kinds: ['Sidecar', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    const selecting = new Map<Workload, MeshObject[]>();
    for (const sc of graph.ofKind('Sidecar')) {
      const selector = selectorOf(sc);
      if (!selector) continue;
      for (const w of graph.workloadsSelectedBy(sc.namespace, selector)) {
        if (workloadInAmbientMode(graph, w)) continue; // no sidecar: IST0167 instead, as in Istio
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
    // A Sidecar's rivals are the other Sidecars of its groups: kept as group references, merged only when it is in several.
    const conflicts = new Map<MeshObject, { groups: { sidecars: MeshObject[]; workloads: Workload[] }[] }>();
    for (const group of groups.values()) {
      group.sidecars.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const sc of group.sidecars) {
        let c = conflicts.get(sc);
        if (!c) conflicts.set(sc, (c = { groups: [] }));
        c.groups.push(group);
      }
    }
    for (const [sc, { groups: mine }] of conflicts) {
      const rivals = mine.length === 1 ? mine[0]!.sidecars : [...new Set(mine.flatMap((g) => g.sidecars))].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const names: string[] = [];
      for (const o of rivals) {
        if (o !== sc) names.push(o.name);
        if (names.length === 5) break;
      }
      const workloads = mine.flatMap((g) => g.workloads.slice(0, 3)).slice(0, 3).map((w) => `${w.kind} ${w.name}`);
      const workloadCount = mine.reduce((n, g) => n + g.workloads.length, 0);
      ctx.report(sc, `Sidecars ${sc.name} and ${listSome(names, 5, rivals.length - 1)} in namespace ${sc.namespace} select the same workloads (${listSome(workloads, 3, workloadCount)}); a proxy gets exactly one Sidecar, so which applies is undefined: make the workloadSelectors disjoint or merge the Sidecars`, {
        path: ['spec', 'workloadSelector', 'labels'],
      });
    }
  },
};

export default sidecarWorkloadSelectedTwice;
