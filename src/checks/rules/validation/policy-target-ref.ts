import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** Policy kinds whose Istio validation runs validatePolicyTargetReference(s). */
const POLICY_KINDS = ['AuthorizationPolicy', 'RequestAuthentication'] as const;

/**
 * The targets Istio's validation accepts (pkg/config/validation `allowedTargetRefs`), by canonical group:
 * an empty group is the core group.
 */
const ALLOWED: readonly (readonly [group: string, kind: string])[] = [
  ['core', 'Service'],
  ['networking.istio.io', 'ServiceEntry'],
  ['gateway.networking.k8s.io', 'Gateway'],
  ['gateway.networking.k8s.io', 'GatewayClass'],
];

const canonicalGroup = (group: string) => (group === '' ? 'core' : group);
const show = (group: string, kind: string) => `${group === '' ? '""' : group}/${kind}`;

/** `{group: …, kind: …}` to write for `kind`, when the kind is one Istio accepts under another group. */
function suggestion(kind: string): string {
  const match = ALLOWED.find(([, k]) => k === kind);
  if (!match) return `target one of ${ALLOWED.map(([g, k]) => show(g === 'core' ? '' : g, k)).join(', ')}`;
  return match[0] === 'core' ? `write group: "" (or leave it out) for kind ${kind}` : `write group: ${match[0]} for kind ${kind}`;
}

/** `[message, fix, path]` for each target reference of `policy` that Istio's validation refuses. */
function refusedTargetRefs(policy: MeshObject): [string, string, FieldPath][] {
  const refs: [unknown, FieldPath][] = [];
  if (policy.spec.targetRef !== undefined && policy.spec.targetRef !== null) refs.push([policy.spec.targetRef, ['spec', 'targetRef']]);
  if (Array.isArray(policy.spec.targetRefs)) policy.spec.targetRefs.forEach((r, i) => refs.push([r, ['spec', 'targetRefs', i]]));
  const out: [string, string, FieldPath][] = [];
  for (const [ref, path] of refs) {
    if (!isRecord(ref) || typeof ref.kind !== 'string') continue;
    const group = typeof ref.group === 'string' ? ref.group : '';
    if (ALLOWED.some(([g, k]) => g === canonicalGroup(group) && k === ref.kind)) continue;
    out.push([`targetRef must be to one of core/Service, networking.istio.io/ServiceEntry, gateway.networking.k8s.io/Gateway, ` +
      `gateway.networking.k8s.io/GatewayClass but was ${show(group, ref.kind)}`, suggestion(ref.kind), path]);
  }
  return out;
}

/**
 * `validation/policy-target-ref` (IST0106): an AuthorizationPolicy or RequestAuthentication whose target
 * reference Istio's webhook refuses.
 */
const policyTargetRef: Rule = {
  id: 'validation/policy-target-ref',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'An AuthorizationPolicy or RequestAuthentication whose targetRef(s) names a group/kind Istio cannot attach to (kind Gateway without group gateway.networking.k8s.io): Istio\'s webhook refuses it.',
  docs: [
    'Istio\'s ValidateAuthorizationPolicy and ValidateRequestAuthentication (pkg/config/validation/validation.go) run',
    'validatePolicyTargetReference on `targetRef` and every `targetRefs` entry: the group, with an empty group read',
    'as the core group, and the kind must be core/Service, networking.istio.io/ServiceEntry,',
    'gateway.networking.k8s.io/Gateway or gateway.networking.k8s.io/GatewayClass. The CRD schema accepts any group',
    'and kind, so `{kind: Gateway, name: edge}` without `group: gateway.networking.k8s.io` passes the schema and is',
    'then refused as core/Gateway. The whole policy is refused, so the gateway or service it was meant to protect',
    'is not protected by it. (A `namespace` in a reference, and a selector beside target references, are refused by',
    'the CRD schema: schema/crd-validation.)',
    'Fix: write the group the kind belongs to (`gateway.networking.k8s.io` for Gateway and GatewayClass,',
    '`networking.istio.io` for ServiceEntry, "" or "core" for Service).',
  ].join(' '),
  kinds: [...POLICY_KINDS],
  check(graph, ctx) {
    for (const kind of POLICY_KINDS) {
      for (const policy of graph.ofKind(kind) as readonly MeshObject[]) {
        for (const [message, fix, path] of refusedTargetRefs(policy)) {
          ctx.report(policy, `${message}: Istio refuses this ${kind}, so it applies to nothing; ${fix}`, { path });
        }
      }
    }
  },
};

export default policyTargetRef;
