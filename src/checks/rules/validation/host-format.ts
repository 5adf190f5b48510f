import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';
import type { Rule } from '../../rule.js';
import { isIpAddress, wildcardDomainError } from './_dns.js';

/**
 * `validation/host-format` (IST0106): hosts Istio's admission webhook refuses as not a (wildcard) domain name.
 * Mirrors `ValidateWildcardDomain` as called by ValidateVirtualService (`spec.hosts`, IP addresses allowed),
 * ValidateDestinationRule (`spec.host`), ValidateGateway via validateNamespaceSlashWildcardHostname
 * (`spec.servers[].hosts`, an optional `namespace/` prefix), ValidateServiceEntry (`spec.hosts`, IPs allowed) and
 * ValidateSidecar (`spec.egress[].hosts` must be `namespace/dnsName`, neither part empty).
 */
const hostFormat: Rule = {
  id: 'validation/host-format',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A VirtualService, DestinationRule, Gateway or ServiceEntry host that is not a valid domain name, or a Sidecar egress host not of the form namespace/dnsName, so Istio\'s admission webhook refuses the object.',
  docs: [
    'Istio validates hosts with `ValidateWildcardDomain`: at most 255 characters, labels of 1-63 ASCII letters, digits',
    'and `-` (no `_`, spaces, non-ASCII, no empty label as in `a..b`), a wildcard only as the first label (`*` or',
    '`*.example.com`), and a top-level label that is not all digits. VirtualService and ServiceEntry hosts may also be',
    'IP addresses; Gateway server hosts may carry a `namespace/` prefix; Sidecar egress hosts must be `namespace/dnsName`',
    'with neither part empty. `kubectl apply` fails and `istioctl analyze`',
    'reports IST0106. Fix: write the host as a DNS name (for non-ASCII names, the punycode `xn--` form).',
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
    for (const dr of graph.ofKind('DestinationRule')) {
      if (typeof dr.spec.host === 'string') check(dr, dr.spec.host, ['spec', 'host'], false);
    }
    for (const sc of graph.ofKind('Sidecar')) {
      (Array.isArray(sc.spec.egress) ? sc.spec.egress : []).forEach((l, i) => {
        if (!isRecord(l)) return;
        (stringList(l.hosts) ?? []).forEach((h, j) => {
          const slash = h.indexOf('/');
          const path: FieldPath = ['spec', 'egress', i, 'hosts', j];
          if (slash < 0) {
            ctx.report(sc, `egress host "${h}": host must be of form namespace/dnsName; write "<namespace>/${h}" with the namespace of the service ("./${h}" for this Sidecar's own, "*/${h}" for any)`, { path });
          } else if (slash === 0 || slash === h.length - 1) {
            ctx.report(sc, `egress host "${h}": config namespace and dnsName in host entry cannot be empty; write e.g. "./*" or "istio-system/*"`, { path });
          }
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

export default hostFormat;
