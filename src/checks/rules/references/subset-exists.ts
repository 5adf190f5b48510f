import type { Rule } from '../../rule.js';
import { subsetVerdicts } from './_subset-verdicts.js';

/**
 * `references/subset-exists` (IST0101): a destination or mirror subset that no DestinationRule defines
 * for the host, judged exactly as `istioctl analyze` does. Where istiod, looking the rule up from the
 * proxies that route, finds no subset either, this is an error with istiod's reasons; where istiod does
 * find it (a rule in another namespace that istioctl does not key under the VirtualService's), an info
 * finding says traffic works and why istioctl reports it. A subset istioctl finds but the routing proxies
 * do not is `references/subset-not-applied`.
 */
const subsetExists: Rule = {
  id: 'references/subset-exists',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'A VirtualService destination or mirror names a subset that no DestinationRule for the host defines.',
  docs: [
    'A subset is only a name until a DestinationRule for the host defines it. Judged as `istioctl analyze` does',
    '(virtualservice.DestinationRuleAnalyzer): every DestinationRule subset is keyed by the rule\'s host read from the',
    'rule\'s own namespace (a host `<name>.<namespace>.svc.cluster.local` names that namespace, any other host is a name',
    'in the rule\'s namespace), the destination by its host read from the VirtualService\'s namespace; exportTo and',
    'workloadSelector are not read. When istiod, looking the rule up from the proxies that route (see',
    '`references/subset-not-applied`), does not find the subset either, the finding is an error with its reasons: the',
    'route fails with 503. When istiod finds it (a ServiceEntry host whose rule lives in another namespace and is',
    'exported to the clients), the finding is info: istioctl reports it, traffic works. Fix: add the subset (with its',
    'labels) to the DestinationRule for the host, or route to an existing subset. Mirrors `istioctl analyze` IST0101',
    '("host+subset in destinationrule").',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const v of subsetVerdicts(graph)) {
      if (v.analyzerFinds) continue;
      if (v.istiod !== null) { ctx.report(v.vs, v.istiod, { path: v.path }); continue; }
      ctx.report(v.vs, `istioctl analyze reports ${v.what} subset "${v.subset}" of ${v.host} as not found (IST0101): it looks for a DestinationRule with that host in namespace ${v.vs.namespace}, where none defines it. `
        + 'istiod finds the subset for the proxies that route here (a DestinationRule of the host\'s own namespace, exported to them), so requests work. '
        + `To quiet istioctl, define the subset in a DestinationRule for ${v.host} in namespace ${v.vs.namespace} too`, { path: v.path, severity: 'info' });
    }
  },
};

export default subsetExists;
