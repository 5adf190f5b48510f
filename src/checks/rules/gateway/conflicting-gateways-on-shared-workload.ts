import type { Rule } from '../../rule.js';
import { shareWorkloads } from './_helpers.js';
import { analyzerCompares, reportConflicts } from './_conflicts.js';

/** `gateway/conflicting-gateways-on-shared-workload`: two Gateways on one workload, whose selectors istioctl never compares, claim the same port and host. */
const conflictingGatewaysOnSharedWorkload: Rule = {
  id: 'gateway/conflicting-gateways-on-shared-workload',
  severity: 'error',
  summary: 'Two Gateways whose selectors differ (neither text contains the other) select a common gateway workload and declare the same port and host.',
  docs: [
    'istiod merges the servers of every Gateway that selects a gateway proxy, whatever selector got it there, so two',
    'Gateways selecting one workload through different labels (`app: public-gw` and `tier: public`) conflict on a host',
    'they both declare on one port and bind, exactly as in `gateway/conflicting-gateways` (IST0145): plain-text servers',
    'share one route table, TLS servers lose one of them. `istioctl analyze` does not report this pair: its',
    'ConflictingGatewayAnalyzer only compares Gateways whose printed selectors are equal or contain each other.',
    'Fix: give the host to one Gateway, merge the servers, or make the selectors pick different workloads.',
  ].join(' '),
  kinds: ['Gateway', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    reportConflicts(graph, ctx, (g, rival) => !analyzerCompares(g, rival) && g.workloads.length > 0 && rival.workloads.length > 0 && shareWorkloads(g, rival), false);
  },
};

export default conflictingGatewaysOnSharedWorkload;
