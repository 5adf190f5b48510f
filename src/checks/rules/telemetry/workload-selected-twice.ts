import type { Workload } from '../../../mesh/graph.js';
import type { MeshObject } from '../../../mesh/object.js';
import { selectorOf } from '../../../mesh/policy.js';
import { push } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import { listSome } from '../_lists.js';

interface Conflict { readonly telemetries: MeshObject[]; readonly workloads: Workload[] }

const byName = (a: MeshObject, b: MeshObject) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** `telemetry/workload-selected-twice` (IST0159): a workload is selected by the selectors of more than one Telemetry. */
const telemetryWorkloadSelectedTwice: Rule = {
  id: 'telemetry/workload-selected-twice',
  istioCode: 'IST0159',
  severity: 'error',
  summary: 'A workload is selected by the selector of more than one Telemetry.',
  docs: [
    'istiod appends the tracing, access-log and metrics entries of every selector Telemetry matching a workload in',
    'creationTimestamp order (`pilot/pkg/model/telemetry.go` `applicableTelemetries`), so when two select the same',
    'pods, which provider, sampling rate or metric override wins depends on the order they were created in.',
    'Fix: make the selectors disjoint, or merge the Telemetries into one. Mirrors `istioctl analyze` IST0159',
    '(ConflictingTelemetryWorkloadSelectors, `telemetry.SelectorAnalyzer`): only Telemetries with matchLabels',
    'and workloads of their own namespace count. Istio reports once per conflicting Pod; meshproof once per',
    'Telemetry, naming the other Telemetries and the workloads (pod templates, Pods and WorkloadEntries in the',
    'input) they share.',
  ].join(' '),
  kinds: ['Telemetry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry'],
  check(graph, ctx) {
    const selecting = new Map<Workload, MeshObject[]>();
    for (const t of graph.ofKind('Telemetry')) {
      const selector = selectorOf(t);
      if (!selector) continue;
      for (const w of graph.workloadsSelectedBy(t.namespace, selector)) {
        const list = selecting.get(w);
        if (list) list.push(t);
        else selecting.set(w, [t]);
      }
    }
    // Workloads selected by the same set of Telemetries form one conflict; each Telemetry is reported once.
    const conflicts = new Map<string, Conflict>();
    for (const [w, telemetries] of selecting) {
      if (telemetries.length < 2) continue;
      const key = telemetries.map((o) => o.key).join('\u0000');
      const c = conflicts.get(key);
      if (c) c.workloads.push(w);
      else conflicts.set(key, { telemetries: [...telemetries].sort(byName), workloads: [w] });
    }
    const mine = new Map<MeshObject, Conflict[]>();
    for (const c of conflicts.values()) for (const t of c.telemetries) push(mine, t, c);
    for (const [t, cs] of mine) {
      const rivals = cs.length === 1 ? cs[0]!.telemetries : [...new Set(cs.flatMap((c) => c.telemetries))].sort(byName);
      const names: string[] = [];
      for (const o of rivals) {
        if (names.length === 5) break;
        if (o !== t) names.push(o.name);
      }
      const workloads = cs.flatMap((c) => c.workloads.slice(0, 3)).slice(0, 3).map((w) => `${w.kind} ${w.name}`);
      const count = cs.reduce((n, c) => n + c.workloads.length, 0);
      ctx.report(t, `The Telemetries ${t.name} and ${listSome(names, 5, rivals.length - 1)} in namespace "${t.namespace}" select the same workloads (${listSome(workloads, 3, count)}), which can lead to undefined behavior: istiod merges their entries in creation order, so which provider or override wins depends on which was created first. Fix: make the selectors disjoint, or merge the Telemetries`, {
        path: ['spec', 'selector', 'matchLabels'],
      });
    }
  },
};

export default telemetryWorkloadSelectedTwice;
