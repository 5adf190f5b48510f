// What Istio's ValidateServiceEntry (pkg/config/validation/validation.go) refuses in `spec.endpoints` beyond the CRD
// schema: validateWorkloadEntry for resolution STATIC, its own loop for DNS and DNS_ROUND_ROBIN.
import { isRecord } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';
import { fqdnError } from './_dns.js';
import { LABEL_FIX, labelProblems } from './_labels.js';
import { isIpAddr, UNIX_PREFIX } from './_sidecar-ports.js';

/**
 * The refusals of the endpoints of a ServiceEntry with `resolution` STATIC, DNS or DNS_ROUND_ROBIN (other resolutions:
 * none here), as [message, path]: an address that is not an IP (STATIC; a unix:// socket too) or neither IP nor FQDN
 * (DNS), an endpoint port name the ServiceEntry's `ports` do not define, endpoint labels that are not label syntax,
 * and a STATIC unix socket endpoint unless the ServiceEntry has exactly one port.
 */
export function endpointProblems(spec: Readonly<Record<string, unknown>>, resolution: string): [string, FieldPath][] {
  if (resolution !== 'STATIC' && resolution !== 'DNS' && resolution !== 'DNS_ROUND_ROBIN') return [];
  const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isRecord);
  const portNames = new Set(ports.map((p) => p.name).filter((n): n is string => typeof n === 'string'));
  const out: [string, FieldPath][] = [];
  (Array.isArray(spec.endpoints) ? spec.endpoints : []).forEach((ep, i) => {
    if (!isRecord(ep)) return;
    const at: FieldPath = ['spec', 'endpoints', i];
    const address = typeof ep.address === 'string' ? ep.address : '';
    if (resolution === 'STATIC') {
      if (address.startsWith(UNIX_PREFIX)) {
        if (portNames.size !== 1) out.push([`exactly 1 service port required for unix endpoints: spec.endpoints[${i}] is ${address} and the ServiceEntry has ${portNames.size} ports; keep one port`, [...at, 'address']]);
      } else if (address !== '' && !isIpAddr(address)) {
        out.push([`endpoint address ${JSON.stringify(address)} is not a valid IP address: with resolution STATIC endpoints are IP addresses; use resolution DNS to resolve a host name`, [...at, 'address']]);
      }
    } else if (!isIpAddr(address) && fqdnError(address)) {
      out.push([`endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address: write the host name alone (its port goes into endpoints[].ports)`, [...at, 'address']]);
    }
    for (const name of Object.keys(isRecord(ep.ports) ? ep.ports : {})) {
      if (portNames.has(name)) continue;
      out.push([`endpoint port ${String((ep.ports as Record<string, unknown>)[name])} is not defined by the service entry: spec.endpoints[${i}].ports names "${name}", ` +
        `and spec.ports names ${[...portNames].map((n) => `"${n}"`).join(', ') || 'no port'}; key endpoint ports by the ServiceEntry port name`, [...at, 'ports', name]]);
    }
    for (const [message, key] of labelProblems(isRecord(ep.labels) ? ep.labels : {})) {
      out.push([`${message} in spec.endpoints[${i}].labels: ${LABEL_FIX}`, [...at, 'labels', key]]);
    }
  });
  return out;
}
