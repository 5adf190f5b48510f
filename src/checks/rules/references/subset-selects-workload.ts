import type { Rule } from '../../rule.js';
import { listOrNone } from './_helpers.js';
import { fmtLabels, subsetSelections } from './_subset-selection.js';

/** `references/subset-selects-workload` (IST0173): each subset's labels select at least one pod, as istioctl's SubsetSelectPodAnalyzer decides. */
const subsetSelectsWorkload: Rule = {
  id: 'references/subset-selects-workload',
  istioCode: 'IST0173',
  severity: 'error',
  summary: 'A DestinationRule subset\'s labels select no pod of the input (as istioctl\'s IST0173 test reads them), so the subset has no workload.',
  docs: [
    'A subset\'s endpoints are the service\'s endpoints that also carry the subset labels. When no pod template',
    '(or WorkloadEntry, or ServiceEntry endpoint) has them, the subset cluster is empty and every request routed',
    'to it fails with 503 `UH` (no healthy upstream). Typical causes: a `version` label that differs from the',
    'Deployment\'s (`v2` vs `2.0`), or a subset added before its Deployment. Fix the labels or deploy the version.',
    'To avoid guessing about workloads deployed from elsewhere, a host is only checked when the input contains at',
    'least one workload (or endpoint) of it. Like istiod, endpoints carry the node and topology labels it adds',
    '(`kubernetes.io/hostname` from the pod\'s `nodeName`, region, zone and subzone from that Node\'s labels); a',
    'subset that selects on such a label is only judged when the input determines its value (a Pod with `nodeName`',
    'and the Node, or a `nodeSelector`), never from the pod template\'s own labels. Decided exactly as `istioctl analyze`',
    'IST0173 (destinationrule.SubsetSelectPodAnalyzer) decides it: the subset labels, merged over a ServiceEntry\'s',
    '`workloadSelector` (a Service converted for the check has none), are matched against EVERY pod of the input, any',
    'namespace, with the locality built by `LocalityToString` (a Node without zone gives no subzone). Where istiod',
    'selects endpoints all the same (ServiceEntry endpoints, WorkloadEntries, a Node\'s region/subzone), the finding',
    'is info. Where only another service\'s pods carry the labels, istioctl is satisfied but istiod\'s subset is empty:',
    'that is `references/subset-selects-no-endpoint`.',
  ].join(' '),
  kinds: ['DestinationRule', 'Service', 'ServiceEntry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry', 'Node'],
  check(graph, ctx) {
    for (const s of subsetSelections(graph)) {
      if (s.analyzerSelects) continue;
      if (s.istiodSelected === 0) {
        ctx.report(s.dr,
          `Subset "${s.name}" labels ${fmtLabels(s.labels)} select no workload of ${s.host}; ` +
            `its workloads are ${listOrNone([...s.candidates])}: fix the labels or deploy a workload carrying them`,
          { path: s.path });
        continue;
      }
      ctx.report(s.dr,
        `Subset "${s.name}" labels ${fmtLabels(s.labels)} select no Pod as istioctl analyze matches them (IST0173: Pod labels ` +
          `with the Node's locality as LocalityToString builds it, no ServiceEntry endpoint or WorkloadEntry), but istiod ` +
          `selects ${s.istiodSelected} endpoint(s) of ${s.host} (${listOrNone([...s.candidates])}): nothing to fix for traffic; ` +
          'info so that istioctl analyze reporting it is no surprise',
        { path: s.path, severity: 'info' });
    }
  },
};

export default subsetSelectsWorkload;
