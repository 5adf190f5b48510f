import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/** The source fields whose presence ValidateAuthorizationPolicy counts as a TCP attribute (trustDomains is not among them). */
const TCP_SOURCE_FIELDS = ['principals', 'notPrincipals', 'ipBlocks', 'notIpBlocks', 'namespaces', 'notNamespaces', 'remoteIpBlocks', 'notRemoteIpBlocks',
  'serviceAccounts', 'notServiceAccounts'];

const set = (v: unknown): boolean => Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null;

/**
 * Whether ValidateAuthorizationPolicy warns that DENY rule `rule` uses only HTTP attributes: it has a `from` source but no
 * `to` operation and no source field of TCP_SOURCE_FIELDS, or it has a `to` operation without `ports` / `notPorts`.
 */
export function httpOnlyDenyRule(rule: unknown): boolean {
  if (!isRecord(rule)) return false;
  const sources = (Array.isArray(rule.from) ? rule.from : []).map((f) => (isRecord(f) && isRecord(f.source) ? f.source : null)).filter((s) => s !== null);
  const operations = (Array.isArray(rule.to) ? rule.to : []).map((t) => (isRecord(t) && isRecord(t.operation) ? t.operation : null)).filter((o) => o !== null);
  const tcpInFrom = sources.some((s) => TCP_SOURCE_FIELDS.some((f) => set(s[f])));
  const tcpInTo = operations.some((o) => set(o.ports) || set(o.notPorts));
  return (sources.length > 0 && operations.length === 0 && !tcpInFrom) || (operations.length > 0 && !tcpInTo);
}

/**
 * `validation/authorization-policy-warnings` (IST0133): what Istio's webhook accepts on an AuthorizationPolicy with a
 * warning. Mirrors the DENY warning of `ValidateAuthorizationPolicy` (`pkg/config/validation/validation.go`).
 */
const authorizationPolicyWarnings: Rule = {
  id: 'validation/authorization-policy-warnings',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'A DENY AuthorizationPolicy rule that uses only HTTP attributes and no port, which Istio accepts with the warning that it denies all traffic to TCP ports in its scope.',
  docs: [
    'Istio\'s webhook warns, as `istioctl analyze` IST0133 (SchemaWarning), about each DENY rule that names an operation',
    'without `ports` / `notPorts`, or a source without operation whose fields are all HTTP-only (requestPrincipals,',
    'or trustDomains, which Istio\'s check does not count): "configured AuthorizationPolicy will deny all traffic to TCP',
    'ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly',
    'specify the port". On a TCP filter chain the HTTP-only fields cannot be evaluated, so istiod drops them and the',
    'rule matches every connection: a DENY on `methods: [POST]` also closes the workload\'s database or gRPC-over-TCP',
    'ports. This is the webhook\'s static warning; `security/authz-http-only-on-tcp-port` reports the TCP ports it',
    'actually closes. Fix: add `ports` (the HTTP ports the rule is for) to the rule\'s operation.',
  ].join(' '),
  kinds: ['AuthorizationPolicy'],
  check(graph, ctx) {
    for (const ap of graph.ofKind('AuthorizationPolicy')) {
      if (ap.spec.action !== 'DENY') continue;
      (Array.isArray(ap.spec.rules) ? ap.spec.rules : []).forEach((rule, i) => {
        if (!httpOnlyDenyRule(rule)) return;
        ctx.report(ap, `${SCHEMA_WARNING} configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP ` +
          `attributes in a DENY rule; it is recommended to explicitly specify the port: spec.rules[${i}] has no ports, so on TCP ports it matches ` +
          'every connection; add to[].operation.ports with the HTTP ports it is meant for', { path: ['spec', 'rules', i] });
      });
    }
  },
};

export default authorizationPolicyWarnings;
