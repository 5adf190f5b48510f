import type { MeshGraph, ServiceInfo } from '../../../mesh/graph.js';
import { hostMatches } from '../../../mesh/hosts.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { routeRulesOf } from '../../../mesh/route-rules.js';
import type { FieldPath } from '../../types.js';

/** A route destination or mirror of a VirtualService, with the path of its `destination` mapping. */
export interface DestinationRef {
  readonly destination: Readonly<Record<string, unknown>>;
  /** Path of the destination mapping (`…route[j].destination`, `…mirror`, `…mirrors[k].destination`). */
  readonly path: FieldPath;
  readonly what: 'destination' | 'mirror';
  readonly section: 'http' | 'tcp' | 'tls';
  /** Index of the route rule in its section. */
  readonly rule: number;
}

/** Every route destination (http, tcp, tls) and mirror (`mirror`, `mirrors[].destination`) of a VirtualService. */
export function destinationsOf(vs: MeshObject): DestinationRef[] {
  const out: DestinationRef[] = [];
  for (const { section, index: rule, rule: r, destinations } of routeRulesOf(vs)) {
    for (const d of destinations) out.push({ destination: d.destination, path: [...d.path, 'destination'], what: 'destination', section, rule });
    if (section !== 'http') continue;
    if (isRecord(r.mirror)) out.push({ destination: r.mirror, path: ['spec', section, rule, 'mirror'], what: 'mirror', section, rule });
    if (Array.isArray(r.mirrors)) {
      r.mirrors.forEach((m, k) => {
        if (isRecord(m) && isRecord(m.destination)) out.push({ destination: m.destination, path: ['spec', section, rule, 'mirrors', k, 'destination'], what: 'mirror', section, rule });
      });
    }
  }
  return out;
}

/** `destination.host` when it is a non-empty string. */
export function hostOf(d: Readonly<Record<string, unknown>>): string | undefined {
  return typeof d.host === 'string' && d.host !== '' ? d.host : undefined;
}

/** `destination.subset` when it is a non-empty string. */
export function subsetOf(d: Readonly<Record<string, unknown>>): string | undefined {
  return typeof d.subset === 'string' && d.subset !== '' ? d.subset : undefined;
}

/** `destination.port.number` when set. */
export function portOf(d: Readonly<Record<string, unknown>>): number | undefined {
  return isRecord(d.port) && typeof d.port.number === 'number' ? d.port.number : undefined;
}

/** `a, b, c` (at most `max` items, then `and N more`), or a placeholder for an empty list. */
export function listOrNone(items: readonly string[], none = 'none', max = 5): string {
  if (items.length === 0) return none;
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}

/** `ns/name` of an object. */
export function nameOf(o: MeshObject): string {
  return `${o.namespace}/${o.name}`;
}

/** Subset names defined by DestinationRules, in order. */
export function subsetNames(rules: readonly MeshObject[]): string[] {
  return rules.flatMap((dr) => (Array.isArray(dr.spec.subsets) ? dr.spec.subsets : []).flatMap((s) => (isRecord(s) && typeof s.name === 'string' ? [s.name] : [])));
}

/**
 * Every DestinationRule by the FQDN of its host (resolved in its own namespace), built once per
 * rule run so "which rule would define this" hints need no scan.
 */
export function destinationRulesByHost(graph: MeshGraph): Map<string, MeshObject[]> {
  const out = new Map<string, MeshObject[]>();
  for (const dr of graph.ofKind('DestinationRule')) {
    if (typeof dr.spec.host !== 'string') continue;
    const fqdn = graph.resolveHost(dr.spec.host, dr.namespace).fqdn;
    const list = out.get(fqdn);
    if (list) list.push(dr);
    else out.set(fqdn, [dr]);
  }
  return out;
}

/**
 * For `name.ns.svc.<domain>` naming a Service of the input under a cluster domain other than the
 * graph's: a sentence saying which domain was assumed (or set) and how to tell meshproof; else undefined.
 */
export function otherDomainHint(graph: MeshGraph, fqdn: string): string | undefined {
  const m = /^([^.]+)\.([^.]+)\.svc\.(.+)$/.exec(fqdn);
  if (!m || m[3] === graph.clusterDomain || !graph.get('Service', m[2]!, m[1]!)) return undefined;
  const [name, namespace, domain] = [m[1]!, m[2]!, m[3]!];
  const how = graph.clusterDomain === 'cluster.local' ? "assumed; meshproof's default" : 'as set by clusterDomain or --cluster-domain';
  return `Service ${namespace}/${name} exists, but with cluster domain ${graph.clusterDomain} (${how}) its name is ` +
    `${name}.${namespace}.svc.${graph.clusterDomain}. If this cluster's domain is ${domain}, tell meshproof (clusterDomain in the config, or --cluster-domain)`;
}

/**
 * For `*.local` or `*.cluster.local` (Istio's documented mesh-wide DestinationRule host, written for the default
 * cluster domain `cluster.local`) when the cluster domain was set to one they do not cover, and the input has
 * Services but no service host they match: a sentence saying the rule configures none of them and what to write;
 * else undefined. With domain `corp.internal` the Services are `<name>.<ns>.svc.corp.internal`, which `*.local`
 * does not match, so the rule's policy (mTLS, pools, outlier detection) silently applies to no in-cluster host.
 */
function defaultDomainWildcardHint(graph: MeshGraph, host: string): string | undefined {
  if (graph.clusterDomain === 'cluster.local') return undefined;
  const services = graph.ofKind('Service');
  if (services.length === 0 || graph.services.all.some((s) => hostMatches(host, s.host))) return undefined;
  const shown = services.slice(0, 3).map((s) => `${s.namespace}/${s.name}`).join(', ') + (services.length > 3 ? ` and ${services.length - 3} more` : '');
  return `it covers no Service of the input: "${host}" suits the default cluster domain cluster.local, but with cluster domain ` +
    `${graph.clusterDomain} (as set by clusterDomain or --cluster-domain) Services ${shown} are named *.svc.${graph.clusterDomain}; ` +
    `write "*.svc.${graph.clusterDomain}" (or tell meshproof the right cluster domain)`;
}

/**
 * For a wildcard `*.ns.svc.<domain>` or `*.svc.<domain>` under a cluster domain other than the graph's, when the
 * input has Services it was evidently written for (in `ns`, or any) and no service of the input matches it: a
 * sentence saying which domain was assumed (or set), that those Services' names are under it, and how to tell
 * meshproof; else undefined. Istio matches such a host against registry hostnames (`<name>.<ns>.svc.<cluster
 * domain>`), so under another domain it covers none of them.
 */
export function otherDomainWildcardHint(graph: MeshGraph, host: string): string | undefined {
  if (host === '*.local' || host === '*.cluster.local') return defaultDomainWildcardHint(graph, host);
  const m = /^\*\.(?:([^.*]+)\.)?svc\.([^*]+)$/.exec(host);
  if (!m || m[2] === graph.clusterDomain) return undefined;
  const [namespace, domain] = [m[1], m[2]!];
  const services = graph.ofKind('Service').filter((s) => namespace === undefined || s.namespace === namespace);
  if (services.length === 0 || graph.services.all.some((s) => hostMatches(host, s.host))) return undefined;
  const how = graph.clusterDomain === 'cluster.local' ? "assumed; meshproof's default" : 'as set by clusterDomain or --cluster-domain';
  const shown = services.slice(0, 3).map((s) => `${s.namespace}/${s.name}`).join(', ') + (services.length > 3 ? ` and ${services.length - 3} more` : '');
  const theirs = namespace === undefined ? `*.svc.${graph.clusterDomain}` : `*.${namespace}.svc.${graph.clusterDomain}`;
  return `it covers no Service of the input: with cluster domain ${graph.clusterDomain} (${how}) Services ${shown} are named ${theirs}. ` +
    `If this cluster's domain is ${domain}, tell meshproof (clusterDomain in the config, or --cluster-domain); otherwise write "${theirs}"`;
}

/**
 * The fix for a host written `written` that names `declared`, the host of `kind` `name`, in other letter case: istiod
 * and istioctl compare host names as written. A Kubernetes Service host is always lower case, so the reference is
 * what to change. A ServiceEntry host with capitals is best lowered itself (DNS names are case-insensitive): istiod
 * keeps its capitals in cluster names (`outbound|443||API.example.com`) while sidecars build the host's HTTP default
 * route from a lower-cased copy, which names no cluster (`serviceentry/host-letter-case`); writing its capitals here is the
 * other way.
 */
export function letterCaseFix(kind: string, name: string, declared: string, written: string): string {
  const lower = declared.toLowerCase();
  if (kind !== 'ServiceEntry' || declared === lower) {
    return `host names are compared as written (case-sensitively) and ${kind} ${name} declares "${declared}"${kind === 'Service' ? ' (Kubernetes Service hosts are lower case)' : ''}. Fix: write "${declared}"`;
  }
  const here = written === lower ? '' : ` and write "${lower}" here`;
  return `host names are compared as written (case-sensitively) and ${kind} ${name} declares "${declared}", with capitals. Fix: write the ServiceEntry host in lower case ` +
    `("${lower}")${here}: DNS names are case-insensitive, and istiod keeps a ServiceEntry host's capitals in its cluster names while a sidecar's HTTP default route ` +
    `for it names a lower-cased cluster that does not exist (503 NC without a VirtualService); or write "${declared}" here as the ServiceEntry does`;
}

