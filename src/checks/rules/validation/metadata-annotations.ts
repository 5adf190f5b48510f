import type { Rule } from '../../rule.js';

/** The Istio config kinds the validating webhook admits (networking, security, telemetry and extensions groups). */
const KINDS = ['VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar', 'EnvoyFilter', 'WorkloadEntry', 'WorkloadGroup', 'ProxyConfig',
  'AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication', 'Telemetry', 'WasmPlugin', 'TrafficExtension'];
const DRY_RUN = 'istio.io/dry-run';
/** Go strconv.ParseBool's accepted spellings. */
const GO_BOOL = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);
/** Annotations istiod sets on resources it generates, which the webhook refuses on anything applied (constants.go). */
const INTERNAL: Readonly<Record<string, string>> = {
  'internal.istio.io/webhook-always-reject': 'annotation found, rejecting',
  'internal.istio.io/parent-namespace': 'annotation found, this may not be set by users',
  'internal.istio.io/parents': 'annotation found, this may not be set by users',
};

/**
 * `validation/metadata-annotations` (IST0106): the metadata checks Istio's webhook runs before any kind's own
 * validation (`validateMetadata`, `checkDryRunAnnotation` in pkg/config/validation/validation.go).
 */
const metadataAnnotations: Rule = {
  id: 'validation/metadata-annotations',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'An Istio resource whose annotations Istio\'s admission webhook refuses: istio.io/dry-run on anything but an ALLOW or DENY AuthorizationPolicy, or with a value that is not a boolean, or an internal.istio.io annotation istiod reserves for what it generates.',
  docs: [
    'Before a kind\'s own checks, Istio\'s webhook (`validateMetadata`) refuses: `istio.io/dry-run` on any resource but',
    'an AuthorizationPolicy ("has unsupported annotation istio.io/dry-run, please remove the annotation"), on a CUSTOM',
    'or AUDIT AuthorizationPolicy ("currently only supports action ALLOW/DENY"), and with a value Go\'s',
    'strconv.ParseBool does not read (`yes`, `on`, `enabled`: only 1, t, true, TRUE, True and their false forms); and',
    'the annotations istiod puts on resources it generates, `internal.istio.io/parents`,',
    '`internal.istio.io/parent-namespace` and `internal.istio.io/webhook-always-reject` (often copied from `kubectl get',
    '-o yaml` of a generated object). The resource is refused whole. Fix: remove the annotation; write dry-run as',
    '"true" or "false"; try a CUSTOM policy out with a separate provider instead of dry-run.',
  ].join(' '),
  kinds: KINDS,
  check(graph, ctx) {
    for (const kind of KINDS) {
      for (const o of graph.ofKind(kind)) {
        if (!o.group.endsWith('istio.io')) continue;
        const at = (name: string) => ({ path: ['metadata', 'annotations', name] });
        const value = o.annotations[DRY_RUN];
        if (value !== undefined) {
          const action = typeof o.spec.action === 'string' ? o.spec.action : 'ALLOW';
          if (kind !== 'AuthorizationPolicy') {
            ctx.report(o, `${o.namespace}/${o.name} has unsupported annotation ${DRY_RUN}, please remove the annotation: only AuthorizationPolicies have a dry-run mode`, at(DRY_RUN));
          } else if (action !== 'ALLOW' && action !== 'DENY') {
            ctx.report(o, `the annotation ${DRY_RUN} currently only supports action ALLOW/DENY, found action ${action} in ${o.namespace}/${o.name}: remove the annotation ` +
              '(a CUSTOM policy cannot be dry-run; point it at a test provider, or scope it to a test workload)', at(DRY_RUN));
          } else if (!GO_BOOL.has(value)) {
            ctx.report(o, `${o.namespace}/${o.name} has annotation ${DRY_RUN} with invalid value (${value}): strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax; ` +
              'write "true" or "false"', at(DRY_RUN));
          }
        }
        for (const [name, said] of Object.entries(INTERNAL)) {
          if (o.annotations[name] === undefined) continue;
          ctx.report(o, `"${name}" ${said}: istiod sets it on resources it generates; remove it from the applied manifest`, at(name));
        }
      }
    }
  },
};

export default metadataAnnotations;
