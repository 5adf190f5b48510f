import { isRecord, stringList } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { dynamicDnsProblems, endpointProblems } from './_serviceentry-endpoints.js';

/** Istio `agent.ValidateFQDN`: DNS-1123 labels, no wildcard, at most 255 characters. */
function isFqdn(host: string): boolean {
  if (host.length === 0 || host.length > 255) return false;
  const h = host.endsWith('.') ? host.slice(0, -1) : host;
  return h.split('.').every((l) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i.test(l));
}

/** `validation/serviceentry-structure` (IST0106): what Istio's ValidateServiceEntry refuses beyond the CRD schema. */
const serviceEntryStructure: Rule = {
  id: 'validation/serviceentry-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A ServiceEntry that Istio\'s admission webhook refuses: host `*`, a wildcard host resolved by DNS without endpoints, CIDR addresses with DNS, duplicate ports, or endpoints whose address, port names or labels it refuses (a host name with STATIC, a port name the ServiceEntry does not define).',
  docs: [
    'Istio\'s `ValidateServiceEntry` refuses: the host `*`; with `resolution: DNS` or `DNS_ROUND_ROBIN` and no',
    '`endpoints`, any host that is not a plain FQDN (a wildcard cannot be resolved: "hosts must be FQDN or contain only',
    'prefix wildcards if no endpoints are provided"); CIDR `addresses` with a resolution other than NONE or STATIC;',
    'two ports with the same number or the same name; `workloadSelector` together with `endpoints`; and',
    '`DNS_ROUND_ROBIN` with more than one endpoint. In `endpoints` (STATIC through `validateWorkloadEntry`, DNS and',
    'DNS_ROUND_ROBIN): with STATIC an address that is not an IP ("is not a valid IP address": a host name needs',
    'resolution DNS) and a unix socket unless the ServiceEntry has exactly one port; with DNS an address that is',
    'neither IP nor FQDN (`db.corp:5432`); an endpoint `ports` key that no `spec.ports` entry names ("endpoint port … is',
    'not defined by the service entry"); labels that are not label syntax. With DYNAMIC_DNS: a host not starting with',
    '`*`, `addresses`, `endpoints`, a port protocol other than HTTP, TLS, GRPC, HTTP2 (an unset protocol included). `kubectl apply` fails and `istioctl analyze` reports IST0106.',
    'Fix: for a wildcard external host use `resolution: NONE` (or DYNAMIC_DNS); give each port a unique number and name.',
  ].join(' '),
  kinds: ['ServiceEntry'],
  check(graph, ctx) {
    for (const se of graph.ofKind('ServiceEntry')) {
      const hosts = stringList(se.spec.hosts) ?? [];
      const resolution = typeof se.spec.resolution === 'string' ? se.spec.resolution : 'NONE';
      const endpoints = Array.isArray(se.spec.endpoints) ? se.spec.endpoints : [];
      hosts.forEach((h, i) => {
        if (h === '*') ctx.report(se, 'invalid host *: a ServiceEntry cannot cover every host; list the hosts', { path: ['spec', 'hosts', i] });
      });
      if ((resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && endpoints.length === 0) {
        const i = hosts.findIndex((h) => h !== '*' && !isFqdn(h));
        if (i >= 0) {
          ctx.report(se, `hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode ${resolution}: "${hosts[i]}" cannot be resolved by DNS; ` +
            'use resolution NONE (or DYNAMIC_DNS) for a wildcard host', { path: ['spec', 'hosts', i] });
        }
      }
      const addresses = stringList(se.spec.addresses) ?? [];
      const cidr = addresses.findIndex((a) => a.includes('/'));
      if (cidr >= 0 && resolution !== 'NONE' && resolution !== 'STATIC') {
        ctx.report(se, `CIDR addresses are allowed only for NONE/STATIC resolution types; ${addresses[cidr]} with resolution ${resolution}`, { path: ['spec', 'addresses', cidr] });
      }
      const numbers = new Set<number>();
      const names = new Set<string>();
      (Array.isArray(se.spec.ports) ? se.spec.ports : []).forEach((p, i) => {
        if (!isRecord(p)) return;
        if (typeof p.number === 'number') {
          if (numbers.has(p.number)) ctx.report(se, `service entry port ${p.number} already defined`, { path: ['spec', 'ports', i, 'number'] });
          numbers.add(p.number);
        }
        if (typeof p.name === 'string') {
          if (names.has(p.name)) ctx.report(se, `service entry port name "${p.name}" already defined`, { path: ['spec', 'ports', i, 'name'] });
          names.add(p.name);
        }
      });
      if (se.spec.workloadSelector !== undefined && se.spec.endpoints !== undefined) {
        ctx.report(se, 'only one of WorkloadSelector or Endpoints is allowed in Service Entry', { path: ['spec', 'endpoints'] });
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) {
        ctx.report(se, 'there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN', { path: ['spec', 'endpoints'] });
      }
      for (const [message, path] of endpointProblems(se.spec, resolution)) ctx.report(se, message, { path });
      if (resolution === 'DYNAMIC_DNS') for (const [message, path] of dynamicDnsProblems(se.spec)) ctx.report(se, message, { path });
    }
  },
};

export default serviceEntryStructure;
