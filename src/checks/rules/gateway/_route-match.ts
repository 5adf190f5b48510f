/**
 * Match predicates of a gateway's merged route table (`merged-route-shadowed.ts`): which match
 * entries are a bare prefix, a catch-all as istiod sees it, and the entry without `gateways`.
 */
import { isRecord } from '../../../mesh/object.js';
import { isCatchAllMatchView } from '../../../mesh/view/catch-all-route.js';
import { stringMatch } from '../../../mesh/view/matches.js';

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

/**
 * Whether the Envoy route of a match entry (gateways already removed) is a catch-all for route.go
 * IsCatchAllRoute, asked of the per-proxy view's predicate (mesh/view/catch-all-route.ts
 * isCatchAllMatchView), by which the view orders a gateway's routes: path prefix "/" (also when `uri` is absent,
 * or an empty StringMatch, which istiod leaves at its default prefix "/") or regex ".*", and no header or query
 * parameter matcher (`method`, `scheme`, `authority` and `withoutHeaders` are header matchers, an empty StringMatch
 * among them too: translateHeaderMatch makes it a present match). `port`, `sourceLabels`, `sourceNamespace` choose
 * the proxies and add no matcher. This is istiod's syntactic test, which decides where the route goes; whether an
 * entry takes every request (a `method` regex ".*" does) is routing/_helpers.ts isCatchAllMatch.
 */
export function isCatchAllRoute(m: Readonly<Record<string, unknown>>): boolean {
  const present = (v: unknown) => (v === null ? undefined : v);
  return isCatchAllMatchView({
    ...(isRecord(m.uri) ? { uri: stringMatch(m.uri) } : {}),
    method: present(m.method), authority: present(m.authority), scheme: present(m.scheme),
    ...(isRecord(m.headers) ? { headers: m.headers } : {}),
    ...(isRecord(m.withoutHeaders) ? { withoutHeaders: m.withoutHeaders } : {}),
    ...(isRecord(m.queryParams) ? { queryParams: m.queryParams } : {}),
  });
}
