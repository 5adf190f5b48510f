import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { fqdnError } from './_dns.js';
import { LABEL_FIX, labelProblems } from './_labels.js';
import { isIpAddr, UNIX_PREFIX } from './_sidecar-ports.js';

/**
 * `validation/workloadentry-structure` (IST0106): what Istio's ValidateWorkloadEntry (`validateWorkloadEntry`,
 * pkg/config/validation/validation.go) refuses beyond the CRD schema.
 */
const workloadEntryStructure: Rule = {
  id: 'validation/workloadentry-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A WorkloadEntry Istio\'s admission webhook refuses: an address that is neither an IP address, an FQDN nor unix:// (a host:port, a name with "_"), or labels that are not label syntax.',
  docs: [
    'Istio\'s `ValidateWorkloadEntry` refuses, beyond the CRD schema: an `address` that is not an IP address, not',
    '`unix://…` and not a valid FQDN ("endpoint address … is not a valid FQDN or an IP address": `10.0.0.5:8080`,',
    '`vm_1.corp`); `labels` whose keys or values are not label syntax ("invalid tag key/value"; the CRD checks port',
    'names and numbers itself). The whole',
    'WorkloadEntry is refused, so the VM or external endpoint never joins its service. Fix: put the port in `ports` and',
    'the host alone in `address`; write label values without spaces.',
  ].join(' '),
  kinds: ['WorkloadEntry'],
  check(graph, ctx) {
    for (const we of graph.ofKind('WorkloadEntry')) {
      const spec = we.spec;
      const address = typeof spec.address === 'string' ? spec.address : '';
      if (address !== '' && !address.startsWith(UNIX_PREFIX) && !isIpAddr(address) && fqdnError(address)) {
        const port = /:(\d+)$/.exec(address);
        ctx.report(we, `endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address: ` +
          (port ? `put port ${port[1]} into spec.ports (e.g. {http: ${port[1]}}) and the host alone into spec.address` : 'write an IP address or a DNS name (letters, digits, "-" and ".")'),
        { path: ['spec', 'address'] });
      }
      for (const [message, key] of labelProblems(isRecord(spec.labels) ? spec.labels : {})) {
        ctx.report(we, `${message} in spec.labels: ${LABEL_FIX}`, { path: ['spec', 'labels', key] });
      }
    }
  },
};

export default workloadEntryStructure;
