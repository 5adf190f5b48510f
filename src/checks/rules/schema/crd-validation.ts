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
    'the vendored CRDs: Istio\'s `crd-all.gen.yaml` and Gateway API v1.4.1, experimental channel (which serves',
    'every standard kind and field, plus TCPRoute, TLSRoute, UDPRoute and the `X` kinds; a cluster with only',
    'the standard channel also refuses those). The schema\'s defaults are applied first (`backendRefs[].kind:',
    'Service`, `tls.mode: Terminate`, …), as the API server does before validating; then the OpenAPI schema of',
    'the served version with strict field validation (unknown fields are errors), list uniqueness, metadata',
    'syntax (label and annotation keys and values) and the CRD\'s `x-kubernetes-validations` CEL rules. An',
    'invalid object is rejected by `kubectl apply` or, in GitOps, leaves the sync stuck. The message names the',
    'field, what is wrong and what is allowed; one finding per field, so a value that breaks both the OpenAPI',
    'bound and a CEL rule (`ports[0].number: 99999999999`) is one finding stating both. IstioOperator',
    '(`install.istio.io`) is installer input, not mesh config, and is skipped.',
    'Mirrors `istioctl analyze` IST0106 (SchemaValidationError).',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar', 'EnvoyFilter', 'AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication',
    'HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute', 'GatewayClass', 'ReferenceGrant', 'BackendTLSPolicy'],
  check(graph, ctx) {
    for (const o of graph.objects) {
      if (!crdCovered(o)) continue;
      for (const v of onePerField(validateCrdObject(o.body))) {
        ctx.report(o, `Schema validation error: ${v.message}`, { path: v.path });
      }
    }
  },
};

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
