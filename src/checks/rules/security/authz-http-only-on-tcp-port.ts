import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { isDryRun } from '../../../mesh/policy.js';
import { isHttp } from '../../../mesh/protocol.js';
import { inboundPortProtocols } from '../../../mesh/view/inbound.js';
import { ruleOnTcpChain } from '../../../mesh/view/inbound-authz.js';
import { proxyOf } from '../../../mesh/view/proxy.js';
import type { Rule } from '../../rule.js';

/** What a rule leaves out on a TCP filter chain: `from[i].source.requestPrincipals`, `when request.auth.claims[iss]`… */
function httpOnlyFieldsOf(rule: Readonly<Record<string, unknown>>): string[] {
  const stripped = ruleOnTcpChain(rule, 'DENY') ?? {};
  const out: string[] = [];
  for (const [list, inner] of [['from', 'source'], ['to', 'operation']] as const) {
    const before = Array.isArray(rule[list]) ? rule[list] : [];
    const after = Array.isArray(stripped[list]) ? stripped[list] as unknown[] : [];
    before.forEach((x, j) => {
      const a = isRecord(x) && isRecord(x[inner]) ? x[inner] : {};
      const b = isRecord(after[j]) && isRecord((after[j] as Record<string, unknown>)[inner]) ? (after[j] as Record<string, Record<string, unknown>>)[inner]! : {};
      for (const k of Object.keys(a).filter((k) => !(k in b))) out.push(`${list}[${j}].${inner}.${k}`);
    });
  }
  const kept = new Set(Array.isArray(stripped.when) ? stripped.when : []);
  for (const c of Array.isArray(rule.when) ? rule.when : []) if (!kept.has(c) && isRecord(c)) out.push(`when ${String(c.key)}`);
  return out;
}

/** The ports a rule names in `to[].operation.ports`; null when some `to` entry (or a missing `to`) leaves the port open. */
function portsOf(rule: Readonly<Record<string, unknown>>): Set<number> | null {
  const to = Array.isArray(rule.to) ? rule.to : [];
  if (to.length === 0) return null;
  const ports = new Set<number>();
  for (const t of to) {
    const list = isRecord(t) && isRecord(t.operation) && Array.isArray(t.operation.ports) ? t.operation.ports : [];
    if (list.length === 0) return null;
    for (const p of list) if (/^\d+$/.test(String(p))) ports.add(Number(p));
  }
  return ports;
}

/**
 * `security/authz-http-only-on-tcp-port`: an ALLOW or DENY rule with an HTTP-only field that applies to a TCP
 * port of a workload it selects, where istiod drops the ALLOW rule or the field of the DENY rule.
 */
const authzHttpOnlyOnTcpPort: Rule = {
  id: 'security/authz-http-only-on-tcp-port',
  severity: 'warning',
  summary: 'An AuthorizationPolicy rule with an HTTP-only field (methods, paths, hosts, requestPrincipals, a request.* condition) on a TCP port of a workload it selects: an ALLOW rule naming only TCP ports allows nothing, a DENY rule denies every connection the rest of it matches.',
  docs: [
    'A port whose Service declares a TCP protocol (tcp-, mongo, redis, mysql, tls and https names or appProtocol) gets a',
    'TCP filter chain, where the network RBAC filter cannot see HTTP. istiod builds each rule for it with',
    '`Generate(forTCP)` (pilot/pkg/security/authz/model/model.go `rule.checkError`): an ALLOW rule using an HTTP-only',
    'field is skipped ("skipped rule … on TCP filter chain"), so less is allowed; a DENY rule is built without the',
    'HTTP-only fields, so more is denied. Reported: an ALLOW rule whose `to.operation.ports` are all TCP ports of a',
    'selected workload (it allows nothing anywhere: on HTTP ports its port condition fails), and a DENY rule that',
    'can apply to a TCP port (it names one, or names no port): there it denies every connection its other',
    'conditions match, whatever the JWT, path or method. Dry-run policies are not judged. Fix: match TCP',
    'connections on what TCP carries (source principals, namespaces, ipBlocks, remoteIpBlocks, destination ports),',
    'restrict HTTP conditions to HTTP ports with `to.operation.ports`, or declare the port HTTP if it carries HTTP.',
  ].join(' '),
  kinds: ['AuthorizationPolicy', 'Service', 'ServiceEntry', 'Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry'],
  check(graph, ctx) {
    const reported = new Set<string>();
    // Whether a policy has a rule with an HTTP-only field at all: judged once per policy, not per workload it selects.
    const httpOnly = new Map<MeshObject, boolean>();
    const hasHttpOnlyRule = (p: MeshObject): boolean => {
      let v = httpOnly.get(p);
      if (v === undefined) httpOnly.set(p, (v = (Array.isArray(p.spec.rules) ? p.spec.rules : []).some((r) => isRecord(r) && httpOnlyFieldsOf(r).length > 0)));
      return v;
    };
    for (const w of graph.workloads.all) {
      if (graph.membershipOf(w).dataplane !== 'sidecar') continue;
      const policies = graph.authorizationPoliciesFor(w).filter((p) => !isDryRun(p) && hasHttpOnlyRule(p));
      if (policies.length === 0) continue;
      const tcp = new Set([...inboundPortProtocols(graph, proxyOf(graph, w))].filter(([, protocol]) => protocol !== 'UnsupportedProtocol' && !isHttp(protocol)).map(([port]) => port));
      if (tcp.size === 0) continue;
      for (const policy of policies) judge(policy, w.kind, `${w.namespace}/${w.name}`, tcp, (i, message) => {
        const key = `${policy.namespace}/${policy.name}#${i}`;
        if (reported.has(key)) return;
        reported.add(key);
        ctx.report(policy, message, { path: ['spec', 'rules', i] });
      });
    }
  },
};

function judge(policy: MeshObject, kind: string, workload: string, tcp: ReadonlySet<number>, report: (i: number, message: string) => void): void {
  const action = typeof policy.spec.action === 'string' ? policy.spec.action : 'ALLOW';
  if (action !== 'ALLOW' && action !== 'DENY') return;
  (Array.isArray(policy.spec.rules) ? policy.spec.rules : []).forEach((rule, i) => {
    if (!isRecord(rule)) return;
    const fields = httpOnlyFieldsOf(rule);
    if (fields.length === 0) return;
    const named = portsOf(rule);
    const hit = [...(named ?? tcp)].filter((p) => tcp.has(p)).sort((a, b) => a - b);
    if (hit.length === 0) return;
    const what = `spec.rules[${i}] uses ${fields.join(', ')}, which only HTTP carries`;
    const where = `TCP port${hit.length > 1 ? 's' : ''} ${hit.join(', ')} of ${kind} ${workload}`;
    if (action === 'ALLOW') {
      if (named === null || hit.length !== named.size) return;
      const ports = hit.length > 1 ? `every port it names (${hit.join(', ')}) is a TCP port` : `the only port it names, ${hit[0]}, is a TCP port`;
      report(i, `${what}, and ${ports} of ${kind} ${workload}: on a TCP filter chain istiod skips an ALLOW rule with an HTTP-only field, so this rule ` +
        'allows nothing; match TCP connections on source principals, namespaces or ipBlocks only, or declare the port HTTP if it carries HTTP');
    } else {
      report(i, `${what}; on the ${where} istiod builds this DENY rule without ${fields.length > 1 ? 'them' : 'it'}, so it denies every connection the rest of the rule ` +
        `matches there, whatever ${fields.length > 1 ? 'they say' : 'it says'}; restrict the rule to HTTP ports with to.operation.ports, or deny TCP callers by source only`);
    }
  });
}

export default authzHttpOnlyOnTcpPort;
