import type { Dataplane, MeshGraph, Workload } from '../../../mesh/graph.js';
import type { Rule } from '../../rule.js';
import { describeWorkload, gatewayWorkloads, isAllowNothing, selectorOf } from './_helpers.js';

/** `security/namespace-default-deny`: every meshed namespace denies by default. */
const namespaceDefaultDeny: Rule = {
  id: 'security/namespace-default-deny',
  severity: 'warning',
  summary: 'A namespace runs meshed workloads but has no default-deny AuthorizationPolicy (nor does the root namespace).',
  docs: [
    'Without an ALLOW policy that selects it, a workload accepts every request. A default-deny policy — an',
    'AuthorizationPolicy without selector, `action` ALLOW (or unset) and no `rules`, e.g. `spec: {}` — in the',
    'namespace (or in the root namespace, for the whole mesh) makes every workload deny by default, so each',
    'caller has to be allowed explicitly. Fix: add `apiVersion: security.istio.io/v1, kind: AuthorizationPolicy,',
    'metadata: {name: allow-nothing, namespace: <ns>}, spec: {}` and ALLOW policies for the real callers.',
    'Counted: workloads the mesh model puts in the mesh (a sidecar, or captured by ztunnel in ambient mode),',
    'so not those outside it (no injection label on the namespace, `istio-injection: disabled`,',
    '`sidecar.istio.io/inject: "false"`) nor those of a namespace whose Namespace object is not in the input',
    '(membership unknown: pass it with --context), and not gateway workloads (selected by a Gateway or',
    'injected with the gateway template), whose job is to accept outside traffic; option `includeGateways: true`',
    'counts them too.',
    'Reported on the Namespace object when the input has it, else on the first workload of the namespace.',
  ].join(' '),
  kinds: ['AuthorizationPolicy', 'Namespace', 'Gateway', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { includeGateways: { description: 'Also require default-deny in namespaces that only run gateways.', type: 'boolean' } },
  },
  check(graph, ctx) {
    const denying = namespacesWithDefaultDeny(graph);
    if (denying.has(graph.rootNamespace)) return;
    const gateways = ctx.options.includeGateways === true ? new Set<Workload>() : gatewayWorkloads(graph);
    for (const ns of graph.namespaces()) {
      const namespace = graph.get('Namespace', '', ns);
      // Only workloads the mesh model says run a sidecar or are captured by ztunnel (where
      // AuthorizationPolicies are enforced); `unknown` (the Namespace is not in the input) is not guessed.
      const meshed = graph.workloads.inNamespace(ns).filter((w) => !gateways.has(w) && enforcesPolicy(graph.membershipOf(w).dataplane, ctx.options.includeGateways === true));
      if (meshed.length === 0 || denying.has(ns)) continue;
      const names = meshed.slice(0, 3).map(describeWorkload).join(', ') + (meshed.length > 3 ? `, and ${meshed.length - 3} more` : '');
      const message = `namespace ${ns} runs ${meshed.length} meshed workload${meshed.length === 1 ? '' : 's'} (${names}) but has no default-deny ` +
        `AuthorizationPolicy, so any workload no ALLOW policy selects accepts every request; add an AuthorizationPolicy with spec: {} in ${ns} ` +
        `(or in ${graph.rootNamespace} for the whole mesh) and ALLOW policies for the real callers`;
      if (namespace) ctx.report(namespace, message, { path: ['metadata', 'name'] });
      else ctx.report(meshed[0]!.object, message);
    }
  },
};

/** Namespaces holding an ALLOW policy without selector, targetRef or rules. */
function namespacesWithDefaultDeny(graph: MeshGraph): Set<string> {
  const out = new Set<string>();
  for (const ap of graph.ofKind('AuthorizationPolicy')) {
    if (selectorOf(ap) === null && ap.spec.targetRef === undefined && ap.spec.targetRefs === undefined && isAllowNothing(ap)) out.add(ap.namespace);
  }
  return out;
}

function enforcesPolicy(dataplane: Dataplane, includeGateways: boolean): boolean {
  return dataplane === 'sidecar' || dataplane === 'ambient' || (includeGateways && dataplane === 'gateway');
}

export default namespaceDefaultDeny;
