import type { MeshGraph, ServiceInfo } from '../../../mesh/graph.js';
import { analyzerHostKey, isExportedTo, isWildcard } from '../../../mesh/hosts.js';
import { analyzerDestination, analyzerKeyOf } from './_analyzer-destination.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { closest } from '../../config/did-you-mean.js';
import { destinationsOf, letterCaseFix, otherDomainHint } from './_helpers.js';
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
    'that is exported to where the VirtualService is used: everywhere (`*`), or its own namespace when it has no',
    '`exportTo`, else one of the namespaces it is exported to (as `istioctl analyze` decides). A wildcard ServiceEntry',
    'host counts only when exported to `*` or to the VirtualService\'s own namespace, and is matched against the host as',
    'written. Short names resolve against the VirtualService namespace (`reviews` → `reviews.<ns>.svc.cluster.local`);',
    'names with a dot are taken as written and compared case-sensitively, so `reviews.prod` does not match a Service:',
    'write `reviews.prod.svc.cluster.local`. A `port.number` that is set must be a port of the entry found first',
    '(exported to `*` before the others). Otherwise Envoy has no cluster for the route and',
    'requests fail with 503 (`NR` / cluster not found). A host differing only in letter case from a declared one is',
    'reported all the same (istioctl compares as written); the message says which fix is right: the lower-case host of',
    'a Kubernetes Service, or, for a ServiceEntry host written with capitals, lowering that host (DNS names are',
    'case-insensitive, and a sidecar\'s HTTP default route for a capitalised ServiceEntry host names a lower-cased cluster that does not exist:',
    '`serviceentry/host-letter-case`) rather than copying its capitals. Mirrors `istioctl analyze` IST0101.',
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
  const found = analyzerDestination(graph, vs, d.host);
  if (!found) {
    ctx.report(vs, `Referenced ${what} host not found: "${d.host}"${notFoundHint(graph, vs, d.host)}`, { path: hostPath });
    return;
  }
  const port = isRecord(d.port) ? d.port.number : undefined;
  if (typeof port !== 'number') return;
  const s = found.service;
  if (s.ports.some((p) => p.number === port)) return;
  const available = [...new Set(s.ports.map((p) => (p.name ? `${p.number} (${p.name})` : `${p.number}`)))];
  const exposes = available.length > 0 ? `exposes ${available.join(', ')}` : 'declares no ports';
  const several = graph.services.forHost(s.host, null).length > 1;
  const which = several ? `: ${s.kind} ${s.namespace}/${s.object.name}, the entry istioctl analyze finds first (exported ${found.scope === '*' ? 'everywhere' : `to ${found.scope}`}), ${exposes}` : `; it ${exposes}`;
  ctx.report(vs, `Referenced ${what} host "${d.host}" has no port ${port}${which}`, { path: [...path, 'port', 'number'] });
}

/** Why a destination host was not found, and what would be found: a sentence starting with its separator, or ''. */
function notFoundHint(graph: MeshGraph, vs: MeshObject, host: string): string {
  const resolved = graph.resolveHost(host, vs.namespace);
  const scopes = consumerScopes(vs);
  const visible = (s: ServiceInfo) => scopes.some((scope) => (scope === '*' ? s.exportTo.includes('*') : isExportedTo(s.exportTo, s.namespace, scope)));
  const all = graph.services.forHostIgnoringCase(resolved.fqdn, null);
  const where = scopes.length === 1 && scopes[0] === vs.namespace ? `namespace ${vs.namespace}` : `the namespaces this VirtualService is exported to (${scopes.join(', ')})`;
  const shortHint = resolved.form === 'short' ? ` (resolved to ${resolved.fqdn})` : '';
  if (all.length > 0) {
    const s = all.find(visible) ?? all[0]!;
    const name = `${s.kind} ${s.namespace}/${s.object.name}`;
    const key = analyzerKeyOf(graph, s);
    const wanted = analyzerHostKey(host, vs.namespace, graph.clusterDomain);
    if (key !== undefined && key !== wanted && key.toLowerCase() === wanted.toLowerCase()) {
      return `: ${letterCaseFix(s.kind, `${s.namespace}/${s.object.name}`, key, wanted)}`;
    }
    if (!visible(s)) return `${shortHint}: ${name} exists but is not exported to ${where} (exportTo ${JSON.stringify(s.exportTo)})`;
    if (isWildcard(s.host) && resolved.form === 'short') {
      return `${shortHint}: the wildcard ${name} ("${s.host}") is matched against the host as written, and a short name has no domain. Fix: write "${resolved.fqdn}"`;
    }
    if (isWildcard(s.host)) {
      return `: the wildcard ${name} ("${s.host}") counts only where it is exported to "*" or to this VirtualService's own namespace ${vs.namespace} ` +
        `(istioctl analyze), and it is exported to ${JSON.stringify(s.exportTo)}. Fix: export it to "${vs.namespace}" as well, or add a ServiceEntry for the host itself`;
    }
    return `: ${name} is exported to ${JSON.stringify(s.exportTo)}, not to ${where} (istioctl analyze looks it up under "*" and each of those namespaces)`;
  }
  const domainHint = otherDomainHint(graph, resolved.fqdn);
  if (domainHint) return `: ${domainHint}`;
  if (resolved.likely && graph.services.forHost(resolved.likely, vs.namespace).length > 0) return `: Istio does not expand "${host}"; did you mean "${resolved.likely}"?`;
  const elsewhere = resolved.form === 'short' ? sameNameElsewhere(graph, host, visible) : undefined;
  if (elsewhere) return `${shortHint}; Service ${elsewhere.namespace}/${elsewhere.object.name} exists in another namespace: write "${elsewhere.host}"`;
  const near = nearestHost(graph, host, resolved.form === 'short', vs.namespace, visible);
  return near ? `${shortHint}; did you mean "${near}"?` : shortHint;
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
