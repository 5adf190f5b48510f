import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { policiesOfGeneratedRule } from '../../../mesh/gateway-api-backend-tls.js';
import { destinationRuleServices } from '../../../mesh/destination-rule-host.js';
import type { MeshGraph } from '../../../mesh/graph.js';

/** Connection-pool fields that bound load (as opposed to timeouts or keepalives). */
const LIMITS: Readonly<Record<string, readonly string[]>> = {
  tcp: ['maxConnections'],
  http: ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'maxConcurrentStreams'],
};

const OUTLIER = 'outlierDetection';
const POOL = 'connectionPool limits';
const FIXES: Readonly<Record<string, string>> = {
  [OUTLIER]: 'trafficPolicy.outlierDetection (e.g. consecutive5xxErrors: 5)',
  [POOL]: 'trafficPolicy.connectionPool limits (e.g. tcp.maxConnections, http.http1MaxPendingRequests)',
};

/** `DestinationRule ns/name`, or for the rule istiod generates from a BackendTLSPolicy, that policy (the generated name is in no file). */
function ruleName(r: MeshObject): string {
  const policies = policiesOfGeneratedRule(r);
  return policies.length > 0 ? `the DestinationRule istiod generates from BackendTLSPolicy ${policies.map((p) => `${p.namespace}/${p.name}`).join(', ')} (write a DestinationRule for the host; its fields merge over the policy's)` : `DestinationRule ${r.namespace}/${r.name}`;
}

/** `egress/external-without-resilience`: an external host without outlier detection and connection-pool limits. */
const externalWithoutResilience: Rule = {
  id: 'egress/external-without-resilience',
  severity: 'warning',
  summary: 'A MESH_EXTERNAL ServiceEntry host has no DestinationRule setting both outlier detection and connection-pool limits.',
  docs: [
    'External dependencies fail in ways the mesh does not control. Without `outlierDetection`, sidecars keep sending',
    'to a failing endpoint; without connection-pool limits (`tcp.maxConnections`, `http.http1MaxPendingRequests`,',
    '`http.http2MaxRequests`, ...), a slow dependency ties up every connection and the failure spreads to callers.',
    'Fix: add a DestinationRule for the host whose `trafficPolicy` sets both (or whose `portLevelSettings` set them',
    'for every port of the ServiceEntry). The DestinationRule is looked up as a client in the ServiceEntry\'s namespace.',
    'A host no DestinationRule applies to because the rule meant for it writes the host in other letter case',
    '(`api.partner.example` for `API.Partner.example`: istiod compares hosts as written) is left to',
    '`references/destination-rule-host-exists` (IST0174), which names the host to write: that one edit fixes both.',
  ].join(' '),
  kinds: ['ServiceEntry', 'DestinationRule'],
  check(graph, ctx) {
    // Many ServiceEntries may declare one host: resolve its DestinationRules once per namespace and host. The host is
    // the one istiod keeps (as written, a short `payments` included), so it is not expanded again.
    const rulesFor = new Map<string, ReturnType<typeof graph.destinationRuleForResolved>>();
    const lookup = (host: string, ns: string) => {
      const key = `${ns}\u0000${host}`;
      if (!rulesFor.has(key)) rulesFor.set(key, graph.destinationRuleForResolved(host.trim(), ns));
      return rulesFor.get(key)!;
    };
    let miscased: Map<string, string[]> | undefined;
    for (const se of graph.ofKind('ServiceEntry')) {
      if (se.spec.location === 'MESH_INTERNAL') continue;
      const ports = (Array.isArray(se.spec.ports) ? se.spec.ports : []).flatMap((p) => (isRecord(p) && typeof p.number === 'number' ? [p.number] : []));
      (stringList(se.spec.hosts) ?? []).forEach((host, i) => {
        const match = lookup(host, se.namespace);
        if (!match && (miscased ??= deadRulesByLowerHost(graph)).get(host.toLowerCase())?.some((h) => h !== host)) return; // IST0174 reports the rule
        const missing = match ? missingPolicies(match.rules, ports) : [OUTLIER, POOL];
        if (missing.length === 0) return;
        const where = match
          ? `${match.rules.map(ruleName).join(', ')} set${match.rules.length === 1 ? 's' : ''} no ${missing.join(' and no ')}`
          : `no DestinationRule applies to it${expandedOnly(graph, host, se.namespace)}`;
        const fix = missing.map((m) => FIXES[m]).join(' and ');
        ctx.report(se, `External host "${host}" has no resilience policy: ${where}; add ${fix}`, {
          path: ['spec', 'hosts', i],
        });
      });
    }
  },
};

/**
 * The hosts (resolved FQDNs, as written) of DestinationRules that apply to no Service or ServiceEntry, keyed by
 * the host in lower case: the rules `references/destination-rule-host-exists` (IST0174) reports.
 */
function deadRulesByLowerHost(graph: MeshGraph): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const dr of graph.ofKind('DestinationRule')) {
    if (typeof dr.spec.host !== 'string' || dr.spec.host === '' || dr.spec.host.includes('*')) continue;
    if (destinationRuleServices(graph, dr).length > 0) continue;
    const fqdn = graph.resolveHost(dr.spec.host, dr.namespace).fqdn;
    const key = fqdn.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), fqdn]);
  }
  return out;
}

/**
 * For a short ServiceEntry host (`payments`) no DestinationRule applies to: the rules that name its expansion
 * (`payments.<namespace>.svc.<domain>`, what a DestinationRule host `payments` resolves to), which istiod never
 * applies to the host kept as written; `''` when there are none.
 */
function expandedOnly(graph: MeshGraph, host: string, namespace: string): string {
  const h = host.trim();
  if (h.includes('.') || h.includes('*')) return '';
  const fqdn = graph.resolveHost(h, namespace).fqdn;
  const rules = graph.destinationRuleForResolved(fqdn, namespace)?.rules ?? [];
  if (rules.length === 0) return '';
  return ` (${rules.map(ruleName).join(', ')} name${rules.length === 1 ? 's' : ''} ${fqdn}: istiod expands a DestinationRule's short host but keeps this ServiceEntry host "${h}" as written, so the two never meet; write the ServiceEntry host with a dot, e.g. "${fqdn}", and the same host in the DestinationRule)`;
}

/** Which of outlier detection and connection-pool limits the merged rules leave unset. */
function missingPolicies(rules: readonly MeshObject[], ports: readonly number[]): string[] {
  const policies = rules.flatMap((r) => (isRecord(r.spec.trafficPolicy) ? [r.spec.trafficPolicy] : []));
  const portLevel = policies.flatMap((p) => (Array.isArray(p.portLevelSettings) ? p.portLevelSettings.filter(isRecord) : []));
  const covered = (has: (policy: Record<string, unknown>) => boolean) =>
    policies.some(has) ||
    (ports.length > 0 && ports.every((n) => portLevel.some((s) => isRecord(s.port) && s.port.number === n && has(s))));
  const missing: string[] = [];
  if (!covered((p) => isRecord(p.outlierDetection))) missing.push(OUTLIER);
  if (!covered(hasPoolLimit)) missing.push(POOL);
  return missing;
}

function hasPoolLimit(policy: Record<string, unknown>): boolean {
  const pool = policy.connectionPool;
  if (!isRecord(pool)) return false;
  return Object.entries(LIMITS).some(([section, fields]) => {
    const s = pool[section];
    return isRecord(s) && fields.some((f) => s[f] !== undefined);
  });
}

export default externalWithoutResilience;
