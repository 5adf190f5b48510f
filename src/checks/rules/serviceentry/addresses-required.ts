import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/** `serviceentry/addresses-required` (IST0134): a TCP ServiceEntry port without `addresses`. */
const addressesRequired: Rule = {
  id: 'serviceentry/addresses-required',
  istioCode: 'IST0134',
  severity: 'warning',
  summary: 'A ServiceEntry has a port with protocol TCP (or no protocol) but no `addresses`.',
  docs: [
    'For TCP traffic a sidecar can only tell services apart by destination IP and port: there is no Host header',
    'or SNI. Without `addresses`, all TCP ServiceEntries on the same port share one listener on 0.0.0.0 and',
    'traffic may be sent to the wrong service. Fix: set `addresses` (the service\'s IPs or CIDRs), use a protocol',
    'that carries the host (HTTP, TLS), or enable Istio DNS auto-allocation. Mirrors `istioctl analyze` IST0134',
    '(ServiceEntryAddressesRequired).',
  ].join(' '),
  kinds: ['ServiceEntry'],
  check(graph, ctx) {
    for (const se of graph.ofKind('ServiceEntry')) {
      if (Array.isArray(se.spec.addresses) && se.spec.addresses.length > 0) continue;
      const ports = Array.isArray(se.spec.ports) ? se.spec.ports : [];
      ports.forEach((p, i) => {
        if (!isRecord(p)) return;
        const protocol = typeof p.protocol === 'string' ? p.protocol.toUpperCase() : '';
        if (protocol !== '' && protocol !== 'TCP') return;
        const what = protocol === '' ? 'no protocol (TCP)' : 'protocol TCP';
        ctx.report(se, `ServiceEntry addresses are required for this protocol: port ${String(p.number ?? '?')} has ${what} and spec.addresses is empty; set addresses, or a protocol such as HTTP or TLS`, {
          path: protocol === '' ? ['spec', 'ports', i] : ['spec', 'ports', i, 'protocol'],
        });
      });
    }
  },
};

export default addressesRequired;
