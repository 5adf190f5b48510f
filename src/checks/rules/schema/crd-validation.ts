import { isIstioKind, validateIstioObject } from '../../../validate/index.js';
import type { Rule } from '../../rule.js';

/** Istio kinds that are not mesh configuration and have no CRD in the vendored set. */
const EXEMPT = new Set(['install.istio.io/IstioOperator']);

/** `schema/crd-validation` (IST0106): an Istio object the API server would reject. */
const crdValidation: Rule = {
  id: 'schema/crd-validation',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'An Istio object does not validate against Istio\'s CRD schema (OpenAPI structure, types, enums and CEL validation rules).',
  docs: [
    'Every object in an Istio API group is checked the way the Kubernetes API server checks it on apply: against',
    'the OpenAPI schema of its served version with strict field validation (unknown fields are errors), list',
    'uniqueness, metadata syntax and the CRD\'s `x-kubernetes-validations` CEL rules. An invalid object is',
    'rejected by `kubectl apply` or, in GitOps, leaves the sync stuck. The message names the field, what is wrong',
    'and what is allowed. IstioOperator (`install.istio.io`) is installer input, not mesh config, and is skipped.',
    'Mirrors `istioctl analyze` IST0106 (SchemaValidationError).',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar', 'EnvoyFilter', 'AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication'],
  check(graph, ctx) {
    for (const o of graph.objects) {
      if (!isIstioKind(o.apiVersion, o.kind) || EXEMPT.has(`${o.group}/${o.kind}`)) continue;
      for (const v of validateIstioObject(o.body)) {
        ctx.report(o, `Schema validation error: ${v.message}`, { path: v.path });
      }
    }
  },
};

export default crdValidation;
