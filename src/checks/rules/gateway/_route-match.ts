/**
 * Match predicates of a gateway's merged route table (`merged-route-shadowed.ts`): which match
 * entries are a bare prefix, a catch-all as istiod sees it, and the entry without `gateways`.
 */
const NEUTRAL = new Set(['name', 'statPrefix']);

/** The prefix of a match that is `uri: {prefix: P}` and nothing else (case-sensitive), else undefined. */
export function bareUriPrefix(m: Readonly<Record<string, unknown>>): string | undefined {
  const keys = Object.keys(m).filter((k) => !NEUTRAL.has(k));
  if (keys.length !== 1 || keys[0] !== 'uri') return undefined;
  const uri = m.uri as Record<string, unknown> | undefined;
  return uri && Object.keys(uri).length === 1 && typeof uri.prefix === 'string' && uri.prefix !== '' ? uri.prefix : undefined;
}

/** The match entry without `gateways` (which decides where it applies, not what it matches). */
export function withoutGateways(m: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (m.gateways === undefined) return m;
  const { gateways: _gateways, ...rest } = m;
  return rest;
}

/** Match fields istiod applies while it builds a proxy's routes (route.go TranslateRoute, sourceMatchHTTP), not in the Envoy route match. */
const BUILD_TIME = new Set(['name', 'statPrefix', 'port', 'sourceLabels', 'sourceNamespace', 'ignoreUriCase']);
/** Match fields that are maps of header or query parameter matchers. */
const MATCHER_MAPS = new Set(['headers', 'withoutHeaders', 'queryParams']);

/**
 * Whether the Envoy route of a match entry (gateways already removed) is a catch-all for route.go
 * IsCatchAllRoute: path prefix "/" (also when `uri` is absent) or regex ".*", and no header or query
 * parameter match (`method`, `scheme`, `authority` and `withoutHeaders` are header matches). The per-proxy
 * view orders a gateway's routes by the same test (mesh/view/gateway-route-order.ts isCatchAllMatchView).
 */
export function isCatchAllRoute(m: Readonly<Record<string, unknown>>): boolean {
  // An empty `headers`, `withoutHeaders` or `queryParams` map adds no matcher.
  const empty = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
  if (!Object.keys(m).every((k) => k === 'uri' || BUILD_TIME.has(k) || (MATCHER_MAPS.has(k) && empty(m[k])))) return false;
  const uri = m.uri as Record<string, unknown> | undefined;
  return uri === undefined || uri.prefix === '/' || uri.regex === '.*';
}
