import { validateCrdObject, type SchemaViolation } from '../../../validate/index.js';
import { formatPath } from '../../../validate/path.js';
import type { Rule } from '../../rule.js';
import { crdCovered } from './_crd-covered.js';

/** `schema/crd-validation` (IST0106): an Istio or Gateway API object the API server would reject. */
const crdValidation: Rule = {
  id: 'schema/crd-validation',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'An Istio or Gateway API object does not validate against its CRD schema (OpenAPI structure, types, enums and CEL validation rules).',
  docs: [
    'Every object in an Istio API group, and in the Gateway API groups (`gateway.networking.k8s.io`,',
    '`gateway.networking.x-k8s.io`), is checked the way the Kubernetes API server checks it on apply, against',
    'the vendored CRDs: Istio\'s `crd-all.gen.yaml` and Gateway API v1.6.1, experimental channel (which serves',
    'every standard kind and field, plus TCPRoute, TLSRoute, UDPRoute and the `X` kinds; a cluster with only',
    'the standard channel also refuses those). The schema\'s defaults are applied first (`backendRefs[].kind:',
    'Service`, `tls.mode: Terminate`, …), as the API server does before validating; then the OpenAPI schema of',
    'the served version with strict field validation (unknown fields are errors), list uniqueness, metadata',
    'syntax (label and annotation keys and values) and the CRD\'s `x-kubernetes-validations` CEL rules. An',
    'invalid object is rejected by `kubectl apply` or, in GitOps, leaves the sync stuck. The message names the',
    'field, what is wrong and what is allowed; one finding per field, so a value that breaks both the OpenAPI',
    'bound and a CEL rule (`ports[0].number: 99999999999`) is one finding stating both. Refusals a dedicated rule',
    'explains with what istiod does are left to it: HTTPRoute timeouts to gatewayapi/route-timeouts, a Service',
    'backendRef\'s missing or named port to gatewayapi/route-reference-not-found. IstioOperator',
    '(`install.istio.io`) is installer input, not mesh config, and is skipped. An object at a version its CRD does not serve',
    'and Istio does not read either (`networking.istio.io/v9`, a `v1alpha2` Istio Gateway) is refused while reading',
    '(`input/unserved-kind`) and not modelled, as istioctl skips it; versions Istio still reads as aliases (`v1alpha2`',
    'GRPCRoute, served by older Gateway API releases) are modelled and reported here.',
    'Mirrors `istioctl analyze` IST0106 (SchemaValidationError).',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar', 'EnvoyFilter', 'AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication',
    'HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute', 'GatewayClass', 'ReferenceGrant', 'BackendTLSPolicy'],
  check(graph, ctx) {
    for (const o of graph.objects) {
      if (!crdCovered(o)) continue;
      for (const v of onePerField(validateCrdObject(o.body).filter((x) => !saidByRule(o.kind, o.body, x)))) {
        ctx.report(o, `Schema validation error: ${v.message}`, { path: v.path });
      }
    }
  },
};

/** The Gateway API route kinds whose `rules[].backendRefs[]` {@link SAID_BY_RULE} covers. */
const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute'];

/**
 * CRD refusals a dedicated rule reports on the same field, with what istiod then does and the fix,
 * so this rule leaves them to it (one finding per problem; disabling that rule silences both):
 * - `gatewayapi/route-timeouts`: an HTTPRoute duration outside the GEP-2257 pattern, and the CEL rule
 *   "backendRequest timeout cannot be longer than request timeout";
 * - `gatewayapi/route-reference-not-found`: a Service backendRef without `port` (CEL "Must have port
 *   for Service reference") or with a port name where the port number goes.
 */
const SAID_BY_RULE: readonly { readonly kinds: readonly string[]; readonly path: RegExp; readonly reason: RegExp; readonly serviceRef?: true }[] = [
  { kinds: ['HTTPRoute'], path: /^spec\.rules\[\d+\]\.timeouts\.(request|backendRequest)$/, reason: /^must match the pattern / },
  { kinds: ['HTTPRoute'], path: /^spec\.rules\[\d+\]\.timeouts$/, reason: /^backendRequest timeout cannot be longer than request timeout$/ },
  { kinds: ROUTE_KINDS, path: /^spec\.rules\[\d+\]\.backendRefs\[\d+\]$/, reason: /^Must have port for Service reference$/, serviceRef: true },
  { kinds: ROUTE_KINDS, path: /^spec\.rules\[\d+\]\.backendRefs\[\d+\]\.port$/, reason: /^must be an integer \(got string /, serviceRef: true },
];

/** Whether `v` is one of {@link SAID_BY_RULE} (a backendRef one only on a reference to a core Service, the case that rule reports). */
function saidByRule(kind: string, body: Readonly<Record<string, unknown>>, v: SchemaViolation): boolean {
  const key = formatPath(v.path);
  const reason = v.message.startsWith(`${key}: `) ? v.message.slice(key.length + 2) : v.message;
  return SAID_BY_RULE.some((s) => s.kinds.includes(kind) && s.path.test(key) && s.reason.test(reason) && (!s.serviceRef || isServiceRef(body, v.path)));
}

/** Whether the backendRef at (or holding) `path` names a core Service (`group` "" and `kind` Service, the defaults). */
function isServiceRef(body: unknown, path: readonly (string | number)[]): boolean {
  const at = path.indexOf('backendRefs');
  let ref: unknown = body;
  for (const p of path.slice(0, at + 2)) ref = ref !== null && typeof ref === 'object' ? (ref as Record<string | number, unknown>)[p] : undefined;
  if (ref === null || typeof ref !== 'object') return false;
  const r = ref as { group?: unknown; kind?: unknown };
  return (r.group === undefined || r.group === '') && (r.kind === undefined || r.kind === 'Service');
}

/**
 * One violation per field path, in first-seen order: the messages of later violations of the
 * same field (e.g. an OpenAPI `maximum` and a CEL range rule) are appended, without the path
 * and without repeating a reason already stated.
 */
export function onePerField(violations: readonly SchemaViolation[]): SchemaViolation[] {
  const byPath = new Map<string, { first: SchemaViolation; reasons: string[] }>();
  for (const v of violations) {
    const key = formatPath(v.path);
    const prefix = `${key}: `;
    const reason = v.message.startsWith(prefix) ? v.message.slice(prefix.length) : v.message;
    const entry = byPath.get(key);
    if (!entry) byPath.set(key, { first: v, reasons: [reason] });
    else if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
  }
  return [...byPath.entries()].map(([key, { first, reasons }]) =>
    reasons.length === 1 ? first : { ...first, message: `${key}: ${reasons.join('; and ')}` });
}

export default crdValidation;
