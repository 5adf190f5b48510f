import type { Rule } from '../../rule.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/**
 * `validation/workloadentry-warnings` (IST0133): what Istio's webhook accepts on a WorkloadEntry with a warning.
 * Mirrors the warning of `validateWorkloadEntry` (`pkg/config/validation/validation.go`).
 */
const workloadEntryWarnings: Rule = {
  id: 'validation/workloadentry-warnings',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'A WorkloadEntry with a network and no address, which Istio accepts with a warning: it is reachable only through that network\'s gateway.',
  docs: [
    'Istio\'s webhook accepts a WorkloadEntry with `network` and no `address` with a warning, which `istioctl analyze`',
    'reports as IST0133 (SchemaWarning): "address is unset with network …". Such an entry has no address of its own:',
    'proxies in other networks reach it through that network\'s east-west gateway, and proxies in the same network not',
    'at all. (Without `network` either, the CRD schema refuses the entry.) Fix: set `address` when the workload is',
    'reachable directly; keep it unset only for a workload behind a network gateway.',
  ].join(' '),
  kinds: ['WorkloadEntry'],
  check(graph, ctx) {
    for (const we of graph.ofKind('WorkloadEntry')) {
      const { address, network } = we.spec;
      if ((address === undefined || address === null || address === '') && typeof network === 'string' && network !== '') {
        ctx.report(we, `${SCHEMA_WARNING} address is unset with network ${JSON.stringify(network)}: the workload is reached only through the gateway of network ` +
          `${network}; set spec.address if it can be reached directly`, { path: ['spec', 'network'] });
      }
    }
  },
};

export default workloadEntryWarnings;
