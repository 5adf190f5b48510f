/**
 * Which Envoy route a request reaches in a RouteConfiguration, the way Envoy picks it: virtual host
 * by exact domain (then `*`), then the first route whose path, header and query matchers all hold.
 * Enough of Envoy's matching for table tests (exact / prefix / path_separated_prefix / safe_regex; string and present header and query
 * matchers, inverted, with `treat_missing_header_as_empty`).
 */
import type { Route } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import type { RouteConfiguration } from '../../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import type { StringMatcher } from '../../../src/xds/gen/envoy/type/matcher/v3/string_pb.js';

export interface TestRequest {
  readonly authority: string;
  readonly path: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
}

function strMatch(m: StringMatcher | undefined, v: string | undefined): boolean {
  if (v === undefined || !m) return false;
  const p = m.matchPattern;
  const s = m.ignoreCase ? v.toLowerCase() : v;
  switch (p.case) {
    case 'exact': return s === (m.ignoreCase ? p.value.toLowerCase() : p.value);
    case 'prefix': return s.startsWith(m.ignoreCase ? p.value.toLowerCase() : p.value);
    case 'safeRegex': return new RegExp(`^(?:${p.value.regex})$`).test(v);
    default: return false;
  }
}

function routeMatches(r: Route, req: TestRequest): boolean {
  const m = r.match!;
  const [path, query = ''] = req.path.split('?');
  const ps = m.pathSpecifier;
  const pathOk = ps.case === 'prefix' ? path!.startsWith(ps.value)
    : ps.case === 'pathSeparatedPrefix' ? path === ps.value || path!.startsWith(`${ps.value}/`)
    : ps.case === 'path' ? path === ps.value : ps.case === 'safeRegex' ? new RegExp(`^(?:${ps.value.regex})$`).test(path!) : false;
  if (!pathOk) return false;
  const headers: Record<string, string> = { ':method': req.method ?? 'GET', ':authority': req.authority, ...req.headers };
  for (const h of m.headers) {
    const spec = h.headerMatchSpecifier;
    // Envoy: a missing header fails a string match, inverted or not, unless treat_missing_header_as_empty.
    const value = headers[h.name] ?? (h.treatMissingHeaderAsEmpty ? '' : undefined);
    if (spec.case !== 'presentMatch' && value === undefined) return false;
    const ok = spec.case === 'presentMatch' ? (headers[h.name] !== undefined) === spec.value : spec.case === 'stringMatch' && strMatch(spec.value, value);
    if (ok === h.invertMatch) return false;
  }
  const params = new URLSearchParams(query);
  return m.queryParameters.every((q) => {
    const spec = q.queryParameterMatchSpecifier;
    return spec.case === 'presentMatch' ? params.has(q.name) === spec.value : spec.case === 'stringMatch' && strMatch(spec.value, params.get(q.name) ?? undefined);
  });
}

/** The route `req` reaches, or undefined (Envoy: 404 NR). */
export function selectRoute(rc: RouteConfiguration, req: TestRequest): Route | undefined {
  // `ignore_port_in_host_matching`: the authority's port is dropped before domains are compared.
  const authority = rc.ignorePortInHostMatching ? req.authority.replace(/:\d+$/, '') : req.authority;
  const vh = rc.virtualHosts.find((v) => v.domains.includes(authority)) ?? rc.virtualHosts.find((v) => v.domains.includes('*'));
  return vh?.routes.find((r) => routeMatches(r, req));
}

/** A short description of where a route sends traffic: `cluster`, `a=90,b=10`, `redirect`, `direct:<status>`. */
export function targetOf(r: Route | undefined): string {
  if (!r) return 'NR';
  if (r.action.case === 'redirect') return 'redirect';
  if (r.action.case === 'directResponse') return `direct:${r.action.value.status}`;
  if (r.action.case !== 'route') return 'none';
  const c = r.action.value.clusterSpecifier;
  if (c.case === 'cluster') return c.value;
  if (c.case === 'weightedClusters') return c.value.clusters.map((w) => `${w.name}=${w.weight}`).join(',');
  return 'none';
}
