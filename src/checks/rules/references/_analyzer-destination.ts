/**
 * The destination lookup of `istioctl analyze` (pkg/config/analysis/analyzers/util/service_lookup.go:
 * `InitServiceEntryHostMap` + `GetDestinationHost`), which IST0101 and IST0112 are judged by. It is not
 * istiod's visibility (`mesh/visibility.ts`), so it lives beside the two rules that must agree with it:
 * - every entry is keyed by (scope, host): a ServiceEntry by its `spec.exportTo` (none: `*`; `.`: its own
 *   namespace; `*` ends the list), a Service by its `networking.istio.io/exportTo` annotation (absent or
 *   empty: `*`; split on `,` and trimmed; `.`: its own namespace). MeshConfig defaults are not read;
 * - a destination is looked up under `*`, then under each namespace the VirtualService is exported to
 *   (its own when it has no exportTo); the first hit is THE entry whose ports count;
 * - wildcard ServiceEntry hosts are tried last, and only those scoped `*` or to the VirtualService's own
 *   namespace, by suffix of the host as written (a short name is not expanded there);
 * - hosts are compared as written (case-sensitive); only short names (no dot, no `*`) are expanded.
 */
import type { MeshGraph, ServiceInfo } from '../../../mesh/graph.js';
import { analyzerHostKey } from '../../../mesh/hosts.js';
import { stringList, type MeshObject } from '../../../mesh/object.js';
import { SERVICE_EXPORT_TO_ANNOTATION } from '../../../mesh/visibility.js';

/** The entry `istioctl analyze` finds for a destination host, and the scope it was found under. */
export interface AnalyzerDestination {
  readonly service: ServiceInfo;
  /** `*`, a namespace name, or `~`. */
  readonly scope: string;
}

interface Index {
  readonly exact: Map<string, ServiceInfo>;
  readonly wildcards: { readonly scope: string; readonly host: string; readonly service: ServiceInfo }[];
}

const INDEX = new WeakMap<MeshGraph, Index>();

function analyzerFqdn(graph: MeshGraph, namespace: string, host: string): string {
  return analyzerHostKey(host, namespace, graph.clusterDomain);
}

/** The scopes a ServiceEntry's hosts are keyed under (`exportTo` as written; `*` stops the list). */
function serviceEntryScopes(o: MeshObject): string[] {
  const exportTo = stringList(o.spec.exportTo) ?? [];
  if (exportTo.length === 0) return ['*'];
  const out: string[] = [];
  for (const e of exportTo) {
    out.push(e === '.' ? o.namespace : e);
    if (e === '*') break;
  }
  return out;
}

/** The scopes a Kubernetes Service is keyed under (its exportTo annotation, split and trimmed). */
function serviceScopes(o: MeshObject): string[] {
  const a = o.annotations[SERVICE_EXPORT_TO_ANNOTATION] ?? '';
  if (a === '') return ['*'];
  return a.split(',').map((s) => s.trim()).map((s) => (s === '.' ? o.namespace : s));
}

function indexOf(graph: MeshGraph): Index {
  let index = INDEX.get(graph);
  if (index) return index;
  index = { exact: new Map(), wildcards: [] };
  // ServiceEntries first, then Services: a later key replaces an earlier one, as in the analyzer's map.
  const entries = graph.services.all.filter((s) => s.kind === 'ServiceEntry');
  const services = graph.services.all.filter((s) => s.kind === 'Service');
  for (const s of [...entries, ...services]) {
    const host = analyzerKeyOf(graph, s);
    if (host === undefined) continue;
    for (const scope of s.kind === 'Service' ? serviceScopes(s.object) : serviceEntryScopes(s.object)) {
      index.exact.set(`${scope}/${host}`, s);
      if (host.startsWith('*')) index.wildcards.push({ scope, host, service: s });
    }
  }
  INDEX.set(graph, index);
  return index;
}

/** The host `istioctl analyze` keys `s` under: a Service's FQDN, a ServiceEntry host as written (short names expanded). */
export function analyzerKeyOf(graph: MeshGraph, s: ServiceInfo): string | undefined {
  const written = s.kind === 'Service' ? s.object.name : writtenHost(s);
  return written === undefined ? undefined : analyzerFqdn(graph, s.namespace, written);
}

/** The ServiceEntry host of `s` as written in `spec.hosts`. */
function writtenHost(s: ServiceInfo): string | undefined {
  const i = s.hostPath[2];
  const hosts = stringList(s.object.spec.hosts);
  return typeof i === 'number' && hosts ? hosts[i] : undefined;
}

/**
 * The entry `istioctl analyze` resolves `host` (written in VirtualService `vs`) to, or undefined when it
 * reports the host as not found (IST0101).
 */
export function analyzerDestination(graph: MeshGraph, vs: MeshObject, host: string): AnalyzerDestination | undefined {
  const index = indexOf(graph);
  const fqdn = analyzerFqdn(graph, vs.namespace, host);
  const exportTo = stringList(vs.spec.exportTo) ?? [];
  const scopes = ['*', ...(exportTo.length === 0 ? [vs.namespace] : exportTo.map((e) => (e === '.' ? vs.namespace : e)))];
  for (const scope of scopes) {
    const service = index.exact.get(`${scope}/${fqdn}`);
    if (service) return { service, scope };
  }
  const bare = host.startsWith('*') ? host.slice(1) : host;
  for (const w of index.wildcards) {
    if (w.scope !== '*' && w.scope !== vs.namespace) continue;
    if (bare.endsWith(w.host.slice(1))) return { service: w.service, scope: w.scope };
  }
  return undefined;
}
