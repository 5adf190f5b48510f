import type { MeshGraph, ServiceInfo } from '../../../mesh/graph.js';
import { isExportedTo } from '../../../mesh/hosts.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { closest } from '../../config/did-you-mean.js';
import { destinationsOf, otherDomainHint } from './_helpers.js';
import type { RuleContext, Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** `references/destination-host-exists` (IST0101): every destination and mirror names a known host and port. */
const destinationHostExists: Rule = {
  id: 'references/destination-host-exists',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'A VirtualService destination or mirror names a host (or port) that no visible Service or ServiceEntry provides.',
  docs: [
    'Each `destination.host` and `mirror.host` must resolve to a Kubernetes Service or a ServiceEntry host',
    '(wildcard ServiceEntry hosts count) that is exported to where the VirtualService is used: its own namespace, or',
    'when it sets `exportTo`, one of the namespaces it is exported to (as `istioctl analyze` decides). Short names resolve',
    'against the VirtualService namespace (`reviews` → `reviews.<ns>.svc.cluster.local`); names with a dot are',
    'taken as written, so `reviews.prod` does not match a Service: write `reviews.prod.svc.cluster.local`.',
    'A `port.number` that is set must be a port of that host. Otherwise Envoy has no cluster for the route and',
    'requests fail with 503 (`NR` / cluster not found). Mirrors `istioctl analyze` IST0101.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { destination, path, what } of destinationsOf(vs)) checkDestination(graph, ctx, vs, destination, path, what);
    }
  },
};

function checkDestination(graph: MeshGraph, ctx: RuleContext, vs: MeshObject, d: Record<string, unknown>, path: FieldPath, what: string): void {
  if (typeof d.host !== 'string' || d.host === '') return; // schema validation reports a missing host
  const hostPath = [...path, 'host'];
  const resolved = graph.resolveHost(d.host, vs.namespace);
  const scopes = consumerScopes(vs);
  if (scopes.length === 0) return; // exported nowhere: no proxy uses it
  const visible = (s: ServiceInfo) => scopes.some((scope) => (scope === '*' ? !s.exportTo || s.exportTo.length === 0 || s.exportTo.includes('*') : isExportedTo(s.exportTo, s.namespace, scope)));
  const all = graph.services.forHost(resolved.fqdn, null);
  const services = all.filter(visible);
  if (services.length === 0) {
    let hint = resolved.form === 'short' ? ` (resolved to ${resolved.fqdn})` : '';
    const domainHint = all.length > 0 ? undefined : otherDomainHint(graph, resolved.fqdn);
    if (all.length > 0) {
      const s = all[0]!;
      const where = scopes.length === 1 && scopes[0] === vs.namespace ? `namespace ${vs.namespace}` : `the namespaces this VirtualService is exported to (${scopes.join(', ')})`;
      hint = `: ${s.kind} ${s.namespace}/${s.object.name} exists but is not exported to ${where} (exportTo ${JSON.stringify(s.exportTo)})`;
    } else if (domainHint) {
      hint = `: ${domainHint}`;
    } else if (resolved.likely && graph.services.forHost(resolved.likely, vs.namespace).length > 0) {
      hint = `: Istio does not expand "${d.host}"; did you mean "${resolved.likely}"?`;
    } else {
      const elsewhere = resolved.form === 'short' ? sameNameElsewhere(graph, d.host, visible) : undefined;
      const near = elsewhere ? undefined : nearestHost(graph, d.host, resolved.form === 'short', vs.namespace, visible);
      if (elsewhere) hint += `; Service ${elsewhere.namespace}/${elsewhere.object.name} exists in another namespace: write "${elsewhere.host}"`;
      else if (near) hint += `; did you mean "${near}"?`;
    }
    ctx.report(vs, `Referenced ${what} host not found: "${d.host}"${hint}`, { path: hostPath });
    return;
  }
  const port = isRecord(d.port) ? d.port.number : undefined;
  if (typeof port !== 'number') return;
  if (services.some((s) => s.ports.some((p) => p.number === port))) return;
  const available = [...new Set(services.flatMap((s) => s.ports.map((p) => (p.name ? `${p.number} (${p.name})` : `${p.number}`))))];
  ctx.report(vs, `Referenced ${what} host "${d.host}" has no port ${port}; ${available.length > 0 ? `it exposes ${available.join(', ')}` : 'it declares no ports'}`, {
    path: [...path, 'port', 'number'],
  });
}

/**
 * A visible Kubernetes Service of another namespace named like the short `host`: the Service a short
 * name meant when it was written in a VirtualService of another namespace (istiod expands a short name
 * with the namespace of the VirtualService that writes it, a delegate's own included).
 */
function sameNameElsewhere(graph: MeshGraph, host: string, visible: (s: ServiceInfo) => boolean): ServiceInfo | undefined {
  const name = host.toLowerCase();
  return graph.services.all.find((s) => s.kind === 'Service' && s.object.name === name && visible(s));
}

/**
 * The visible host nearest to a mistyped `host` by edit distance (`closest`: at most max(3, a third
 * of its length) edits), written as the user wrote theirs: a short name against the Services of
 * the VirtualService's namespace, a dotted name against every visible host's FQDN.
 */
function nearestHost(graph: MeshGraph, host: string, short: boolean, namespace: string, visible: (s: ServiceInfo) => boolean): string | undefined {
  const suffix = `.${namespace}.svc.${graph.clusterDomain}`;
  const candidates = graph.services.all.filter(visible).flatMap((s) => {
    if (!short) return [s.host];
    return s.host.endsWith(suffix) ? [s.host.slice(0, -suffix.length)] : [];
  });
  return closest(host, new Set(candidates));
}

/**
 * Where the VirtualService's routes are used, as Istio's analyzer reads it
 * (`util.GetDestinationHost`): its own namespace when exportTo is absent, else each namespace it
 * names (`.` = its own; `*` = everywhere, which only a host exported everywhere satisfies); `~` none.
 */
function consumerScopes(vs: MeshObject): string[] {
  const exportTo = stringList(vs.spec.exportTo) ?? [];
  if (exportTo.length === 0) return [vs.namespace];
  return [...new Set(exportTo.filter((e) => e !== '~').map((e) => (e === '.' ? vs.namespace : e)))];
}

export default destinationHostExists;
