import type { Rule } from '../../rule.js';
import { listOrNone } from './_helpers.js';
import { fmtLabels, subsetSelections } from './_subset-selection.js';

/** `references/subset-selects-no-endpoint`: a subset's labels are carried by pods of the input, but by no endpoint of its host. */
const subsetSelectsNoEndpoint: Rule = {
  id: 'references/subset-selects-no-endpoint',
  severity: 'error',
  summary: 'A DestinationRule subset\'s labels are carried only by pods that are no endpoint of the subset\'s host, so istiod gives the subset no endpoint.',
  docs: [
    'istiod builds a subset cluster from the endpoints of the DestinationRule\'s host that carry the subset labels',
    '(the Service\'s pods, augmented with node topology labels, its WorkloadEntries, or a ServiceEntry\'s endpoints).',
    'When only pods of ANOTHER service or namespace carry them, the subset cluster is empty and requests routed to it',
    'fail with 503 `UH`. `istioctl analyze` does not see this: its SubsetSelectPodAnalyzer (IST0173,',
    '`references/subset-selects-workload`) matches the subset labels against every pod of the input, so any pod',
    'carrying them satisfies it. Typical cause: a `version: v2` label deployed on the wrong Deployment, or a',
    'DestinationRule copied from another service. Fix the labels, or deploy this host\'s workload with them. Like',
    'IST0173, judged only when the input holds a workload of the host and determines the labels.',
  ].join(' '),
  kinds: ['DestinationRule', 'Service', 'ServiceEntry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry', 'Node'],
  check(graph, ctx) {
    for (const s of subsetSelections(graph)) {
      if (s.istiodSelected > 0 || !s.analyzerSelects) continue;
      const others = s.analyzerPods.slice(0, 3).map((w) => `${w.kind} ${w.namespace}/${w.name}`);
      ctx.report(s.dr,
        `Subset "${s.name}" labels ${fmtLabels(s.labels)} select no endpoint of ${s.host} (its workloads are ${listOrNone([...s.candidates])}); ` +
          `only ${listOrNone(others)}${s.analyzerPods.length > 3 ? ` and ${s.analyzerPods.length - 3} more` : ''} carry them, which ${s.analyzerPods.length === 1 ? 'is' : 'are'} no endpoint of this host, ` +
          'so the subset is empty and requests routed to it get 503 UH (istioctl analyze does not report it: any pod carrying the labels satisfies it). ' +
          'Fix the subset labels, or deploy this host\'s workload with them',
        { path: s.path });
    }
  },
};

export default subsetSelectsNoEndpoint;
