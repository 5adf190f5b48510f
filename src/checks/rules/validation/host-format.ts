import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';
import type { Rule } from '../../rule.js';
import { isDns1123Label, isIpAddress, wildcardDomainError } from './_dns.js';

/**
 * `validation/host-format` (IST0106): hosts Istio's admission webhook refuses as not a (wildcard) domain name.
 * Mirrors `ValidateWildcardDomain` as called by ValidateVirtualService (`spec.hosts`, IP addresses allowed),
 * ValidateDestinationRule (`spec.host`), ValidateGateway via validateNamespaceSlashWildcardHostname
 * (`spec.servers[].hosts`, an optional `namespace/` prefix), ValidateServiceEntry (`spec.hosts`, IPs allowed) and
 * validateDestination (every VirtualService route, mirror and mirrors destination `host`: `*` refused, otherwise
 * ValidateWildcardDomain, so no IP address), ValidateSidecar via ValidateNamespaceSlashWildcardHostname (`spec.egress[].hosts`: `namespace/dnsName`, the
 * namespace `*`, `.` or a name, optionally after a `~` that excludes (Istio 1.31); the dnsName `*` or a FQDN).
 */
const hostFormat: Rule = {
  id: 'validation/host-format',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A VirtualService (hosts or route destination), DestinationRule, Gateway or ServiceEntry host that is not a valid domain name, or a Sidecar egress host not of the form namespace/dnsName, so Istio\'s admission webhook refuses the object.',
  docs: [
    'Istio validates hosts with `ValidateWildcardDomain`: at most 255 characters, labels of 1-63 ASCII letters, digits',
    'and `-` (no `_`, spaces, non-ASCII, no empty label as in `a..b`), a wildcard only as the first label (`*` or',
    '`*.example.com`), and a top-level label that is not all digits. VirtualService and ServiceEntry hosts may also be',
    'IP addresses; Gateway server hosts may carry a `namespace/` prefix; Sidecar egress hosts must be `namespace/dnsName`',
    'with neither part empty, the namespace `*`, `.` or a namespace name (after a `~` it excludes: `~legacy/*`, and a bare',
    '`~/api.example.com` excludes the host from every namespace) and the dnsName `*` or a fully qualified name',
    '(`reviews` alone is refused as a short name). `kubectl apply` fails and `istioctl analyze`',
    'reports IST0106. Every VirtualService destination host (`http[].route[]`, `tcp[].route[]`, `tls[].route[]`, `mirror`,',
    '`mirrors[]`) is checked the same way (Istio `validateDestination`): a short name, an FQDN or `*.example.com` is',
    'accepted, `*` alone is refused ("invalid destination host *"), and so is an IP address.',
    'Fix: write the host as a DNS name (for non-ASCII names, the punycode `xn--` form).',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar'],
  check(graph, ctx) {
    const check = (o: MeshObject, host: string, path: FieldPath, allowIp: boolean) => {
      if (allowIp && isIpAddress(host)) return;
      const err = wildcardDomainError(host);
      if (err) ctx.report(o, `${err}; write the host as a DNS name: letters, digits and '-' in labels of up to 63 characters, '*' only as the first label`, { path });
    };
    for (const kind of ['VirtualService', 'ServiceEntry'] as const) {
      for (const o of graph.ofKind(kind)) (stringList(o.spec.hosts) ?? []).forEach((h, i) => {
        if (kind === 'ServiceEntry' && h === '*') return; // reported by validation/serviceentry-structure
        check(o, h, ['spec', 'hosts', i], true);
      });
    }
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { host, path } of destinationHosts(vs.spec)) {
        if (host === '*') {
          ctx.report(vs, 'invalid destination host *: a route destination names one service; write its name (e.g. "reviews" or "reviews.shop.svc.cluster.local"), or a ServiceEntry host', { path });
        } else {
          const err = wildcardDomainError(host);
          if (err) ctx.report(vs, `destination host: ${err}; write the service's DNS name: letters, digits and '-' in labels of up to 63 characters, '*' only as the first label`, { path });
        }
      }
    }
    for (const dr of graph.ofKind('DestinationRule')) {
      if (typeof dr.spec.host === 'string') check(dr, dr.spec.host, ['spec', 'host'], false);
    }
    for (const sc of graph.ofKind('Sidecar')) {
      (Array.isArray(sc.spec.egress) ? sc.spec.egress : []).forEach((l, i) => {
        if (!isRecord(l)) return;
        (stringList(l.hosts) ?? []).forEach((h, j) => {
          const err = sidecarEgressHostError(h);
          if (err) ctx.report(sc, `egress host "${h}": ${err}`, { path: ['spec', 'egress', i, 'hosts', j] });
        });
      });
    }
    for (const gw of graph.ofKind('Gateway')) {
      (Array.isArray(gw.spec.servers) ? gw.spec.servers : []).forEach((s, i) => {
        if (!isRecord(s)) return;
        (stringList(s.hosts) ?? []).forEach((h, j) => {
          const slash = h.indexOf('/');
          check(gw, slash < 0 ? h : h.slice(slash + 1), ['spec', 'servers', i, 'hosts', j], false);
        });
      });
    }
  },
};

/**
 * Every `destination.host` Istio's `validateDestination` judges in a VirtualService spec, with its field path:
 * `http[].route[].destination`, `http[].mirror`, `http[].mirrors[].destination`, `tcp[].route[].destination` and
 * `tls[].route[].destination`. Values that are not strings are left to schema/crd-validation.
 */
export function destinationHosts(spec: Readonly<Record<string, unknown>>): { host: string; path: FieldPath }[] {
  const out: { host: string; path: FieldPath }[] = [];
  const add = (d: unknown, path: FieldPath) => {
    if (isRecord(d) && typeof d.host === 'string') out.push({ host: d.host, path: [...path, 'host'] });
  };
  for (const section of ['http', 'tcp', 'tls'] as const) {
    const rules = spec[section];
    if (!Array.isArray(rules)) continue;
    rules.forEach((r, i) => {
      if (!isRecord(r)) return;
      if (Array.isArray(r.route)) r.route.forEach((d, j) => { if (isRecord(d)) add(d.destination, ['spec', section, i, 'route', j, 'destination']); });
      if (section !== 'http') return;
      add(r.mirror, ['spec', section, i, 'mirror']);
      if (Array.isArray(r.mirrors)) r.mirrors.forEach((m, k) => { if (isRecord(m)) add(m.destination, ['spec', section, i, 'mirrors', k, 'destination']); });
    });
  }
  return out;
}

/**
 * Istio `ValidateNamespaceSlashWildcardHostname(h, isGateway=false)` for one Sidecar egress host: the reason the
 * webhook refuses it, with the fix, or null. The namespace is `*`, `.` or a DNS-1123 label, any of them after a `~`
 * (an exclusion; a bare `~` is every namespace); the dnsName is `*` or a FQDN with at most a leading `*.` wildcard.
 */
export function sidecarEgressHostError(h: string): string | null {
  const slash = h.indexOf('/');
  if (slash < 0) return `host must be of form namespace/dnsName; write "<namespace>/${h}" with the namespace of the service ("./${h}" for this Sidecar's own, "*/${h}" for any)`;
  const written = h.slice(0, slash);
  const dnsName = h.slice(slash + 1);
  if (written === '' || dnsName === '') return 'config namespace and dnsName in host entry cannot be empty; write e.g. "./*" or "istio-system/*"';
  const reasons: string[] = [];
  const ns = written.startsWith('~') ? written.slice(1) : written;
  if (ns !== '' && ns !== '*' && ns !== '.' && !isDns1123Label(ns)) {
    reasons.push(`invalid namespace value "${written}" in sidecar; write a namespace name, "." or "*" (after a "~" to exclude: "~legacy/*", "~/${dnsName}")`);
  }
  if (dnsName !== '*' && !dnsName.includes('.')) {
    reasons.push(`short names (non FQDN) are not allowed; write the FQDN, e.g. "${written}/${dnsName}.<namespace>.svc.cluster.local"`);
  }
  const domain = wildcardDomainError(dnsName);
  if (domain) reasons.push(`${domain}; write a DNS name: letters, digits and '-' in labels of up to 63 characters`);
  if (dnsName.includes('*') && dnsName !== '*' && !dnsName.startsWith('*.')) {
    reasons.push(`partial wildcard "${dnsName}" not allowed; a wildcard is the whole first label ("*.example.com") or "*"`);
  }
  return reasons.length > 0 ? reasons.join('; ') : null;
}

export default hostFormat;
