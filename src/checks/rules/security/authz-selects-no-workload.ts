import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import type { Rule } from '../../rule.js';
import { selectorOf } from './_helpers.js';

/** Workloads that may have a proxy to enforce a policy: meshed, or undecidable (Namespace not in the input). */
function mayHaveProxy(graph: MeshGraph, w: Workload): boolean {
  const m = graph.membershipOf(w);
  return m.meshed || m.dataplane === 'unknown';
}

/** `security/authz-selects-no-workload` (IST0127): an AuthorizationPolicy that applies to no workload in the mesh. */
const authzSelectsNoWorkload: Rule = {
  id: 'security/authz-selects-no-workload',
  istioCode: 'IST0127',
  severity: 'warning',
  summary: 'An AuthorizationPolicy applies to no workload in the mesh: its selector matches none, or its namespace has none.',
  docs: [
    'A policy with `selector.matchLabels` applies to the workloads of its own namespace whose pod labels carry',
    'every pair (in the root namespace, to matching workloads of every namespace); a policy without a selector',
    'applies to every workload of its namespace. As in `istioctl analyze` IST0127 (NoMatchingWorkloadsFound),',
    'only workloads with a proxy count (a sidecar, a gateway or ambient; membership decided by the namespace',
    'and pod injection labels, an istio-proxy container, or the ambient.istio.io/redirection annotation), and a',
    'selector-less policy in the root namespace is mesh-wide and never reported.',
    'When nothing matches, the policy has no effect: usually a label typo or a policy left in the wrong namespace,',
    'and the workload it was meant for is unprotected (DENY) or unreachable under default-deny (ALLOW). Fix the',
    'labels or the namespace, or delete the policy. Skipped when the input holds no workloads at all (nothing to',
    'match against) and for policies using `targetRef(s)`; a workload whose Namespace is not in the input counts',
    'as possibly meshed.',
  ].join(' '),
  kinds: ['AuthorizationPolicy', 'Namespace', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry'],
  check(graph, ctx) {
    if (graph.workloads.inInput.length === 0) return;
    const injected = (w: Workload) => graph.membershipOf(w).dataplane === 'sidecar';
    for (const ap of graph.ofKind('AuthorizationPolicy')) {
      if (ap.spec.targetRef !== undefined || ap.spec.targetRefs !== undefined) continue;
      const selector = selectorOf(ap);
      const root = ap.namespace === graph.rootNamespace;
      if (!selector && root) continue;
      const candidates = selector ? graph.workloads.somePodSelectedBy(root ? null : ap.namespace, selector, injected) : graph.workloads.inNamespace(ap.namespace);
      if (candidates.some((w) => mayHaveProxy(graph, w))) continue;
      const outside = candidates.length > 0 ? `; ${candidates.length === 1 ? 'the only match has' : `its ${candidates.length} matches have`} no proxy (${graph.membershipOf(candidates[0]!).reason})` : '';
      if (!selector) {
        ctx.report(ap, `No matching workloads for this resource: namespace ${ap.namespace} has no workload in the mesh${outside}, so the policy has no effect; ` +
          'move it to the namespace of the workloads it protects, or delete it', { path: ['metadata', 'namespace'] });
        continue;
      }
      const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(', ');
      ctx.report(ap, `No matching workloads for this resource with the following labels: ${labels} (${root ? 'in any namespace' : `in namespace ${ap.namespace}`})${outside}; ` +
        'the policy has no effect. Fix the labels or move the policy to the workload\'s namespace', { path: ['spec', 'selector', 'matchLabels'] });
    }
  },
};

export default authzSelectsNoWorkload;
