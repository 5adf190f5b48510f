import type { MeshGraph } from '../../../mesh/graph.js';
import type { MeshObject } from '../../../mesh/object.js';
import { buildProxyView, proxyOf, type ProxyIdentity } from '../../../mesh/view/index.js';
import { seesAsOutsider } from '../../../mesh/view/push-index.js';
import { exportedTo, exportToOf } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';
import { destinationsOf, hostOf, subsetNames, subsetOf } from './_helpers.js';

/**
 * `references/subset-hidden-from-clients`: a mesh VirtualService routes to a subset that the
 * DestinationRule the sidecars of ANOTHER namespace use for the host does not define, so istiod
 * builds them no cluster for it. Judged from the per-proxy view (`view/subset-not-found`) of one
 * sidecar per client namespace, built only for the namespaces a DestinationRule lookup suspects
 * ({@link suspects}); the VirtualService's own namespace is `references/subset-exists`' and
 * `references/subset-not-applied`'s.
 */
const subsetHiddenFromClients: Rule = {
  id: 'references/subset-hidden-from-clients',
  severity: 'error',
  summary: 'A VirtualService exported to other namespaces routes to a subset that the DestinationRule their sidecars use does not define (not exported to them, or shadowed by their own rule), so their requests fail.',
  docs: [
    'istiod builds a sidecar\'s subset clusters only from the DestinationRule that sidecar uses for the host, looked up',
    'from the sidecar\'s own namespace (a rule there first, then one the service namespace exports to it, then the root',
    'namespace\'s). A VirtualService is used by the sidecars of every namespace it is exported to, so when the rule that',
    'defines its subset is exported only to its own namespace (`exportTo: ["."]`), or a rule in the client\'s namespace',
    'for the same host shadows it, the clients there route to a cluster they do not have and get 503 (`NC`), while',
    '`references/subset-exists` (as `istioctl analyze` judges) and `references/subset-not-applied` (the VirtualService\'s own namespace) are quiet.',
    'Judged from meshproof\'s per-proxy view (the one the xDS translation reads, Sidecar egress and workloadSelector',
    'rules included) for one sidecar of each namespace with meshed workloads in the input. Fix: export the',
    'DestinationRule to those namespaces, add the subset to their own rule, or',
    'export the VirtualService only where its subsets are defined.',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'Service', 'ServiceEntry', 'Sidecar', 'Namespace', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    // One sidecar per namespace: what a namespace's sidecars route through is their namespace's (SidecarScope).
    const clients = new Map<string, ProxyIdentity>();
    for (const w of graph.workloads.all) {
      if (!clients.has(w.namespace) && graph.membershipOf(w).dataplane === 'sidecar') clients.set(w.namespace, proxyOf(graph, w));
    }
    const found = new Map<string, { vs: MeshObject; path: readonly (string | number)[]; namespaces: string[]; message: string }>();
    for (const namespace of suspects(graph, clients)) {
      const proxy = clients.get(namespace)!;
      for (const problem of buildProxyView(graph, proxy).problems) {
        const { ref, path } = problem.origin;
        if (problem.code !== 'view/subset-not-found' || ref.kind !== 'VirtualService' || ref.namespace === namespace) continue;
        const vs = graph.get('VirtualService', ref.namespace, ref.name);
        if (!vs || judgedBySubsetExists(graph, vs, path, namespace, proxy)) continue;
        const key = `${ref.namespace}/${ref.name}\u0000${path.join('.')}\u0000${problem.message}`;
        const entry = found.get(key) ?? { vs, path, namespaces: [], message: problem.message };
        if (!entry.namespaces.includes(namespace)) entry.namespaces.push(namespace);
        found.set(key, entry);
      }
    }
    for (const { vs, path, namespaces, message } of found.values()) {
      const shown = namespaces.slice(0, 5).join(', ') + (namespaces.length > 5 ? ` and ${namespaces.length - 5} more` : '');
      ctx.report(vs, `For the sidecars of namespace${namespaces.length === 1 ? '' : 's'} ${shown} (this VirtualService is exported there): ${message}`, { path: [...path] });
    }
  },
};

/**
 * Whether the missing subset at `path` (a destination's `subset`) is already `references/subset-exists`'
 * or `references/subset-not-applied`'s finding: the VirtualService's own namespace lacks it too, and the client namespace uses
 * the very DestinationRules that rule judged (same rules), so this rule would only repeat it with
 * an explanation (exportTo, shadowing) that does not apply.
 */
function judgedBySubsetExists(graph: MeshGraph, vs: MeshObject, path: readonly (string | number)[], namespace: string, proxy: ProxyIdentity): boolean {
  let destination: unknown = vs.body;
  for (const k of path.slice(0, -1)) destination = typeof destination === 'object' && destination !== null ? (destination as Record<string | number, unknown>)[k] : undefined;
  if (typeof destination !== 'object' || destination === null) return false;
  const host = hostOf(destination as Record<string, unknown>);
  const subset = subsetOf(destination as Record<string, unknown>);
  if (host === undefined || subset === undefined) return false;
  const fqdn = graph.resolveHost(host, vs.namespace).fqdn;
  const own = graph.destinationRulesFor(fqdn, vs.namespace)?.rules ?? [];
  if (subsetNames(own).includes(subset)) return false;
  const client = graph.destinationRuleForResolved(fqdn, namespace, proxy.labels)?.rules ?? [];
  return client.length === own.length && client.every((r) => own.includes(r));
}

/**
 * The client namespaces where some mesh VirtualService exported there routes to a subset that the
 * DestinationRule its sidecar would use (`MeshGraph.destinationRuleFor`, as the view's cluster
 * collector asks) does not define, sorted: only their views are built, so a mesh without such a
 * route costs one rule lookup per (subset destination, namespace), not a view per namespace.
 */
function suspects(graph: MeshGraph, clients: ReadonlyMap<string, ProxyIdentity>): string[] {
  const out = new Set<string>();
  for (const vs of graph.ofKind('VirtualService')) {
    if (!graph.gatewaysOf(vs).some((g) => g.mesh)) continue;
    const exportTo = exportToOf(vs, graph.meshConfig).values;
    const others = [...clients.keys()].filter((ns) => ns !== vs.namespace && !out.has(ns) && exportedTo(exportTo, vs.namespace, ns));
    if (others.length === 0) continue;
    for (const { destination } of destinationsOf(vs)) {
      const host = hostOf(destination);
      const subset = subsetOf(destination);
      if (host === undefined || subset === undefined) continue;
      const fqdn = graph.resolveHost(host, vs.namespace).fqdn;
      // Namespaces that see the host as every outsider does share one answer (push-index.ts).
      let outsiders: boolean | undefined;
      const defined = (ns: string): boolean => graph.destinationRuleForResolved(fqdn, ns, clients.get(ns)!.labels)?.subsets.some((x) => x.name === subset) === true;
      for (const ns of others) {
        if (out.has(ns)) continue;
        const ok = seesAsOutsider(graph, fqdn, ns) ? (outsiders ??= defined(ns)) : defined(ns);
        if (!ok) out.add(ns);
      }
    }
  }
  return [...out].sort();
}

export default subsetHiddenFromClients;
