import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/**
 * Whether istiod allocates a VIP to every ServiceEntry: MeshConfig `defaultConfig.proxyMetadata`
 * has `ISTIO_META_DNS_CAPTURE: "true"` and `ISTIO_META_DNS_AUTO_ALLOCATE: "true"` or
 * `PILOT_ENABLE_IP_AUTOALLOCATE: "true"` (Istio's serviceentry.Analyzer reads exactly these).
 */
export function addressesAutoAllocated(graph: MeshGraph): boolean {
  const md = graph.meshConfig.defaultConfig.proxyMetadata;
  if (!isRecord(md) || md.ISTIO_META_DNS_CAPTURE !== 'true') return false;
  return md.ISTIO_META_DNS_AUTO_ALLOCATE === 'true' || md.PILOT_ENABLE_IP_AUTOALLOCATE === 'true';
}

/** Whether istiod's IP auto-allocation controller already gave the ServiceEntry addresses (`status.addresses`). */
function statusAddressed(se: MeshObject): boolean {
  const status = se.body.status;
  return isRecord(status) && Array.isArray(status.addresses) && status.addresses.length > 0;
}

/** `serviceentry/addresses-required` (IST0134): a TCP ServiceEntry port without `addresses`. */
const addressesRequired: Rule = {
  id: 'serviceentry/addresses-required',
  istioCode: 'IST0134',
  severity: 'warning',
  summary: 'A ServiceEntry has a port with protocol TCP (or no protocol) but no `addresses`, and no VIP is auto-allocated.',
  docs: [
    'For TCP traffic a sidecar can only tell services apart by destination IP and port: there is no Host header',
    'or SNI. Without `addresses`, all TCP ServiceEntries on the same port share one listener on 0.0.0.0 and',
    'traffic may be sent to the wrong service. As in `istioctl analyze` IST0134 (ServiceEntryAddressesRequired),',
    'nothing is reported when the ServiceEntry has `status.addresses` (istiod allocated a VIP) or when MeshConfig',
    '`defaultConfig.proxyMetadata` enables DNS capture with auto-allocation (`ISTIO_META_DNS_CAPTURE` and',
    '`ISTIO_META_DNS_AUTO_ALLOCATE` or `PILOT_ENABLE_IP_AUTOALLOCATE` set to "true"); MeshConfig is the one given to',
    'meshproof, else the `istio` ConfigMap of the root namespace when the input holds it. Fix: set `addresses` (the',
    'service\'s IPs or CIDRs), use a protocol that carries the host (HTTP, TLS), or enable DNS auto-allocation.',
  ].join(' '),
  kinds: ['ServiceEntry'],
  check(graph, ctx) {
    if (addressesAutoAllocated(graph)) return;
    for (const se of graph.ofKind('ServiceEntry')) {
      if (Array.isArray(se.spec.addresses) && se.spec.addresses.length > 0) continue;
      if (statusAddressed(se)) continue;
      const ports = Array.isArray(se.spec.ports) ? se.spec.ports : [];
      ports.forEach((p, i) => {
        if (!isRecord(p)) return;
        const protocol = typeof p.protocol === 'string' ? p.protocol.toUpperCase() : '';
        if (protocol !== '' && protocol !== 'TCP') return;
        const what = protocol === '' ? 'no protocol (TCP)' : 'protocol TCP';
        ctx.report(se, `ServiceEntry addresses are required for this protocol: port ${String(p.number ?? '?')} has ${what}, spec.addresses is empty and no VIP is auto-allocated; set addresses, a protocol such as HTTP or TLS, or enable DNS auto-allocation in MeshConfig`, {
          path: protocol === '' ? ['spec', 'ports', i] : ['spec', 'ports', i, 'protocol'],
        });
      });
    }
  },
};

export default addressesRequired;
