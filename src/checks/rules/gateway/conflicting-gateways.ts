import type { Rule } from '../../rule.js';
import { analyzerCompares, reportConflicts } from './_conflicts.js';

/** `gateway/conflicting-gateways` (IST0145): two Gateways on the same workloads claim the same port and host. */
const conflictingGateways: Rule = {
  id: 'gateway/conflicting-gateways',
  istioCode: 'IST0145',
  severity: 'error',
  summary: 'Two Gateways selecting the same workloads declare servers on the same port with a shared host.',
  docs: [
    'A gateway proxy merges the servers of every Gateway that selects it, per port. When two Gateways declare the',
    'same port, bind address and host, what happens depends on the servers',
    '(pilot/pkg/model/gateway.go mergeGateways): plain-text HTTP servers are merged into one route table, where the',
    'VirtualServices of both Gateways are appended for the host and one team\'s routes can take the other\'s requests;',
    'TLS servers with the same host lose one of them (duplicate SNI host), except that istiod compares `./host` as',
    '`<namespace>/host`, so the same `./host` in Gateways of two namespaces keeps both servers, whose two chains for one',
    'SNI name Envoy refuses (the listener is rejected); TLS servers whose hosts only overlap are',
    'both kept and the more specific SNI wins; a plain-text and a TLS server cannot share the port. One SNI name written',
    'differently (`shop/api.example.com`, `api.example.com`) is `gateway/duplicate-sni-host`. Fix: give each host to exactly one Gateway',
    '(or merge the servers into one Gateway), or select different gateway workloads. Mirrors `istioctl analyze`',
    'IST0145 (ConflictingGateways): hosts are compared as written (model.CheckDuplicates), so `*.example.com` and',
    '`api.example.com` do not conflict (SNI and virtual-host matching pick the more specific), nor do servers with',
    'different `bind` addresses (separate listeners). Gateways are compared as the analyzer groups them: equal',
    'selectors, or a selector whose `key=value,...` text contains the other\'s with a workload matching both; two',
    'Gateways on one workload whose selector texts do not contain each other are `gateway/conflicting-gateways-on-shared-workload`',
    '(no IST code).',
    'As in the analyzer, which keeps one host list per Gateway and port (the last server on that port overwrites the',
    'others, `initGatewaysMap`), a Gateway is reported when one of its servers repeats a host of the rival\'s LAST',
    'server on the port: with two HTTPS servers on 443, a rival repeating the first one\'s host is reported on the',
    'Gateway with the two servers only (its message names the rival).',
  ].join(' '),
  kinds: ['Gateway', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    reportConflicts(graph, ctx, analyzerCompares, true);
  },
};

export default conflictingGateways;
