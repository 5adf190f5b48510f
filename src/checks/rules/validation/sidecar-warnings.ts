import { isRecord } from '../../../mesh/object.js';
import { isHttp, parseProtocol } from '../../../mesh/protocol.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { tlsWarnings } from './gateway-server-warnings.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/** Labels `ValidateAlphaWorkloadSelector` refuses (empty key, `*`): ValidateSidecar then returns before any warning. */
const badLabels = (labels: unknown): boolean =>
  isRecord(labels) && Object.entries(labels).some(([k, v]) => k === '' || k.includes('*') || (typeof v === 'string' && v.includes('*')));

const listed = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
const given = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * The duplicated-host warnings of one egress listener's `hosts` (ValidateSidecar): per namespace (`.` is the Sidecar's
 * own, `~`-prefixed entries are not counted), a host listed twice or beside that namespace's `*`, and a `*` after other
 * hosts of its namespace ("duplicated egress host"); then the every-namespace catch-all (star, slash, star) beside anything else
 * ("host select all resources"). `namespace` is the Sidecar's. Each warning is `[message, index of the host]`.
 */
export function egressHostWarnings(hosts: readonly unknown[], namespace: string): [string, number][] {
  const seen = new Map<string, Set<string>>();
  const out: [string, number][] = [];
  let allAt = -1;
  hosts.forEach((h, k) => {
    if (typeof h !== 'string') return;
    const slash = h.indexOf('/');
    if (slash < 0 || h.startsWith('~')) return;
    const ns = h.slice(0, slash) === '.' ? namespace : h.slice(0, slash);
    const svc = h.slice(slash + 1);
    const names = seen.get(ns) ?? new Set<string>();
    seen.set(ns, names);
    if (svc !== '*' ? names.has(svc) || names.has('*') : names.size > 0) {
      out.push([`duplicated egress host: ${h}: ${svc === '*' ? `"${ns}/*" already selects every host of namespace ${ns}` : `namespace ${ns} already selects ${names.has('*') ? 'every host' : `"${svc}"`}`} ` +
        'in this listener; remove the entry that adds nothing', k]);
    }
    names.add(svc);
    if (ns === '*' && svc === '*' && allAt < 0) allAt = k;
  });
  if (allAt >= 0 && seen.size !== 1) {
    out.push(['`*/*` host select all resources, no other hosts can be added: the listener imports every namespace\'s services with "*/*", so the ' +
      'other namespaces listed add nothing; keep "*/*" alone, or list only the namespaces meant', allAt]);
  }
  return out;
}

/**
 * `validation/sidecar-warnings` (IST0133): what Istio's webhook accepts on a Sidecar with a warning. Mirrors the
 * warnings of `ValidateSidecar` (`pkg/config/validation/validation.go`) other than the selector one
 * (`validation/selector-without-labels`).
 */
const sidecarWarnings: Rule = {
  id: 'validation/sidecar-warnings',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'A Sidecar uses something Istio accepts with a warning: an egress host listed twice or already covered by its namespace\'s "*", "*/*" beside other hosts, HTTP connection pool settings on an ingress port that is not HTTP, or ingress tls that validateTLSOptions warns about (unknown or repeated cipher suites, TLS 1.0/1.1 without ciphers, certificates in PASSTHROUGH mode).',
  docs: [
    'Istio\'s webhook accepts these with a warning, which `istioctl analyze` reports as IST0133 (SchemaWarning):',
    'within one egress listener, a `namespace/host` entry listed twice, a host of a namespace the listener already',
    'takes whole (`ns/*`), or `ns/*` after hosts of that namespace ("duplicated egress host"; `./` counts as the',
    'Sidecar\'s own namespace, `~` entries are not counted); `*/*` beside entries of other namespaces ("`*/*` host',
    'select all resources, no other hosts can be added"); and `connectionPool.http` on an ingress listener whose port',
    'protocol is not HTTP, HTTP2, HTTP_PROXY, GRPC or GRPC-WEB, where only the TCP settings apply; and in ingress `tls`',
    'what `validateTLSOptions` warns about on Gateways too (see `validation/gateway-server-warnings`). Nothing is warned when',
    'the Sidecar is refused before the warnings (workloadSelector labels with `*` or an empty key; no configuration at',
    'all). Fix: remove the redundant hosts; declare the port\'s protocol, or move the limits to `connectionPool.tcp`.',
  ].join(' '),
  kinds: ['Sidecar'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      const spec = sc.spec;
      if (isRecord(spec.workloadSelector) && badLabels(spec.workloadSelector.labels)) continue;
      if (!listed(spec.egress) && !listed(spec.ingress) && !given(spec.outboundTrafficPolicy) && !given(spec.inboundConnectionPool)) continue;
      const out: [string, FieldPath][] = [];
      (Array.isArray(spec.ingress) ? spec.ingress : []).forEach((l, i) => {
        if (isRecord(l) && isRecord(l.port) && isRecord(l.tls)) out.push(...tlsWarnings(l.tls, ['spec', 'ingress', i, 'tls'], 'the sidecar'));
        if (!isRecord(l) || !isRecord(l.port) || !isRecord(l.connectionPool) || !given(l.connectionPool.http)) return;
        const protocol = typeof l.port.protocol === 'string' ? l.port.protocol : '';
        if (isHttp(parseProtocol(protocol))) return;
        out.push([`sidecar: HTTP connection pool settings are configured for port ${String(l.port.number ?? 0)} (${JSON.stringify(l.port.name ?? '')}) but its protocol ` +
          `is not HTTP (${protocol}); only TCP settings will apply: declare spec.ingress[${i}].port.protocol HTTP (or HTTP2, GRPC), or move the limits to connectionPool.tcp`,
        ['spec', 'ingress', i, 'connectionPool', 'http']]);
      });
      (Array.isArray(spec.egress) ? spec.egress : []).forEach((l, i) => {
        if (!isRecord(l) || !Array.isArray(l.hosts)) return;
        for (const [message, k] of egressHostWarnings(l.hosts, sc.namespace)) out.push([message, ['spec', 'egress', i, 'hosts', k]]);
      });
      for (const [message, path] of out) ctx.report(sc, `${SCHEMA_WARNING} ${message}`, { path });
    }
  },
};

export default sidecarWarnings;
