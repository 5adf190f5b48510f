// What Istio's ValidateServiceEntry (pkg/config/validation/validation.go) refuses in `spec.endpoints` beyond the CRD
// schema: validateWorkloadEntry for resolution STATIC, its own loop for DNS and DNS_ROUND_ROBIN.
import { isRecord } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';
import { parseProtocol } from '../../../mesh/protocol.js';
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

/** The protocols Envoy's dynamic forward proxy serves for resolution DYNAMIC_DNS (protocol.Parse of an unset protocol is none of them). */
const DYNAMIC_DNS_PROTOCOLS = ['HTTP', 'TLS', 'GRPC', 'HTTP2'];

/**
 * What ValidateServiceEntry refuses in a ServiceEntry with resolution DYNAMIC_DNS, as [message, path]: no hosts, a host
 * that does not start with `*`, `addresses`, `endpoints`, and a port whose protocol is not HTTP, TLS, GRPC or HTTP2.
 */
export function dynamicDnsProblems(spec: Readonly<Record<string, unknown>>): [string, FieldPath][] {
  const out: [string, FieldPath][] = [];
  const hosts = Array.isArray(spec.hosts) ? spec.hosts : [];
  if (hosts.length === 0) out.push(['at least one wildcard host must be provided for resolution type DYNAMIC_DNS: list the domains, e.g. "*.example.com"', ['spec']]);
  hosts.forEach((h, i) => {
    if (typeof h === 'string' && !h.startsWith('*')) {
      out.push([`host must be wildcarded for resolution mode DYNAMIC_DNS: "${h}" is a single host; write "*.${h}" for its subdomains, or use resolution DNS for one host`, ['spec', 'hosts', i]]);
    }
  });
  if (Array.isArray(spec.addresses) && spec.addresses.length > 0) {
    out.push(['addresses cannot be set for resolution type DYNAMIC_DNS. HTTP route domains will only be generated from the hosts field values: remove spec.addresses', ['spec', 'addresses']]);
  }
  if (Array.isArray(spec.endpoints) && spec.endpoints.length > 0) {
    out.push(['endpoints cannot be set for resolution type DYNAMIC_DNS. Destination IP address determined from hosts field values: remove spec.endpoints', ['spec', 'endpoints']]);
  }
  (Array.isArray(spec.ports) ? spec.ports : []).forEach((p, i) => {
    if (!isRecord(p)) return;
    const protocol = typeof p.protocol === 'string' ? p.protocol : '';
    if (DYNAMIC_DNS_PROTOCOLS.includes(parseProtocol(protocol))) return;
    out.push([`only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type DYNAMIC_DNS: spec.ports[${i}] is ${protocol === '' ? 'without protocol' : protocol}; ` +
      'declare HTTP (or TLS for HTTPS traffic)', ['spec', 'ports', i, ...(protocol === '' ? [] : ['protocol'])]]);
  });
  return out;
}
