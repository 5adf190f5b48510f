import type { Rule } from '../../rule.js';
import { subsetVerdicts } from './_subset-verdicts.js';

/**
 * `references/subset-not-applied`: a destination or mirror subset that a DestinationRule defines, but
 * not the one the proxies routing through the VirtualService use (istiod's lookup), so they have no
 * cluster for it. `istioctl analyze` (IST0101) finds the subset and is quiet; `references/subset-exists`
 * reports what it reports.
 */
const subsetNotApplied: Rule = {
  id: 'references/subset-not-applied',
  severity: 'error',
  summary: 'A VirtualService routes to a subset that a DestinationRule defines, but not the DestinationRule its proxies use for the host, so the route fails.',
  docs: [
    'istiod builds a proxy\'s subset clusters only from the DestinationRule that proxy uses for the host, looked up from',
    'the proxy\'s namespace: a rule there first (one whose workloadSelector matches the proxy wins over one without),',
    'then one the service namespace exports to it, then the root namespace\'s; the first that matches wins, so a rule in',
    'the client namespace hides the subsets of the service owner\'s rule. For the sidecars the VirtualService namespace',
    'is used; for a VirtualService bound to a Gateway, the namespace its proxies run in (the pods its selector matches,',
    'else the Gateway\'s namespace), so a rule exported only to `.` in the service namespace is invisible to an ingress',
    'gateway in istio-system. A delegate VirtualService\'s routes are judged from the consumers of the roots that merge it;',
    'a rule is judged only for the proxies that keep it (its match `gateways` and `port`). `istioctl analyze` keys',
    'subsets by host and the rule\'s namespace only, so it finds these and stays quiet (`references/subset-exists` is its',
    'IST0101). The route has no cluster and fails with 503. Fix: export the DestinationRule that defines the subset to',
    'the proxies\' namespace, add the subset to the rule that shadows it, or route to a subset that rule defines.',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const v of subsetVerdicts(graph)) if (v.analyzerFinds && v.istiod !== null) ctx.report(v.vs, v.istiod, { path: v.path });
  },
};

export default subsetNotApplied;
