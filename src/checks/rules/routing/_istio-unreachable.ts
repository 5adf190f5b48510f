/**
 * Istio's own unreachable-rule analysis of a VirtualService, ported as written
 * (pkg/config/validation: `analyzeUnreachableHTTPRules`, `…TCPRules`, `…TLSRules`,
 * `coveredValidation`), so that IST0130 and IST0131 are reported exactly where `istioctl analyze`
 * reports them. meshproof's deeper first-match-wins analysis (`analyzeHttpRules` in
 * `_helpers.ts`) feeds `routing/shadowed-rule`, which reports only what this one misses.
 */
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';

export type RouteSection = 'http' | 'tcp' | 'tls';

export interface IstioUnreachable {
  readonly section: RouteSection;
  readonly rule: number;
  readonly reason: 'only the last rule can have no matches' | 'route without matches defined before' | 'all matches used by prior rules';
  readonly path: FieldPath;
}

export interface IstioIneffective {
  readonly section: RouteSection;
  readonly rule: number;
  readonly match: number;
  /** The earlier rule whose match repeats or covers this one. */
  readonly byRule: number;
  readonly byMatch: number;
  /** Identical match (Istio's JSON comparison) rather than a covering prefix. */
  readonly duplicate: boolean;
  readonly path: FieldPath;
}

export interface IstioRouteAnalysis {
  readonly unreachable: readonly IstioUnreachable[];
  readonly ineffective: readonly IstioIneffective[];
}

/** HTTPMatchRequest fields that hold a StringMatch message: Go marshals one that is set even when it is empty. */
const MESSAGE_FIELDS: ReadonlySet<string> = new Set(['uri', 'scheme', 'method', 'authority']);

/** A value with every object's keys sorted, as Go's `json.Marshal` writes maps. */
const sorted = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(sorted) : isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])])) : v;

/**
 * The match serialised as Go's `json.Marshal` of the proto would compare it (Istio's `asJSON`): keys
 * sorted; the match's own fields dropped when zero (false, 0, '', null, an empty list or map: the generated
 * structs tag them `omitempty`) and an HTTP match's `name` ignored. Below the top level everything written
 * counts: an empty StringMatch (`uri: {}`, or a header-presence match `headers: {x-debug: {}}`) is a set
 * message Go marshals, so it differs from no match on that field.
 */
export function istioMatchKey(m: unknown, section: RouteSection): string {
  if (!isRecord(m)) return JSON.stringify(m ?? null);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(m).sort()) {
    if (section === 'http' && k === 'name') continue;
    const v = m[k];
    if (v === undefined || v === null || v === false || v === 0 || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (isRecord(v) && Object.keys(v).length === 0 && !(section === 'http' && MESSAGE_FIELDS.has(k))) continue;
    out[k] = sorted(v);
  }
  return JSON.stringify(out);
}

const exactOrPrefix = (s: unknown): string => {
  if (!isRecord(s)) return '';
  if (typeof s.exact === 'string' && s.exact !== '') return `exact:${s.exact}`;
  if (typeof s.prefix === 'string' && s.prefix !== '') return `prefix:${s.prefix}`;
  return '';
};
const mapOf = (v: unknown): Map<string, string> => new Map(isRecord(v) ? Object.keys(v).map((k) => [k, exactOrPrefix(v[k])]) : []);

/** Istio's `OverlappingMatchValidationForHTTPRoute`: a URI-prefix match reduced to what `coveredValidation` compares. */
interface PrefixMatch {
  readonly rule: number;
  readonly match: number;
  readonly prefix: string;
  readonly port: number;
  readonly method: string;
  readonly authority: string;
  readonly headers: Map<string, string>;
  readonly queryParams: Map<string, string>;
  readonly withoutHeaders: Map<string, string>;
}

function prefixMatchOf(m: Record<string, unknown>, rule: number, match: number): PrefixMatch | null {
  const uri = m.uri;
  if (!isRecord(uri) || typeof uri.prefix !== 'string' || uri.prefix === '') return null;
  return {
    rule, match, prefix: uri.prefix,
    port: typeof m.port === 'number' ? m.port : 0,
    method: exactOrPrefix(m.method) || 'exact:GET', // Istio: "if no method information, it should be GET by default"
    authority: exactOrPrefix(m.authority),
    headers: mapOf(m.headers), queryParams: mapOf(m.queryParams), withoutHeaders: mapOf(m.withoutHeaders),
  };
}

function mapsCovered(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, av] of a) {
    const bv = b.get(k);
    if (bv === undefined || (av !== bv && !av.startsWith(bv))) return false;
  }
  return true;
}

/** Istio's `coveredValidation(vA, vB)`: does earlier prefix match `a` cover later `b`? (Its quirks kept.) */
function covered(a: PrefixMatch, b: PrefixMatch): boolean {
  if (!b.prefix.startsWith(a.prefix)) return false;
  if (b.port !== a.port) return false;
  if (a.method !== b.method && !a.method.startsWith(b.method)) return false;
  if (a.authority !== b.authority && !a.authority.startsWith(b.authority)) return false;
  return mapsCovered(a.headers, b.headers) && mapsCovered(a.queryParams, b.queryParams) && mapsCovered(a.withoutHeaders, b.withoutHeaders);
}

function analyzeSection(vs: MeshObject, section: RouteSection, unreachable: IstioUnreachable[], ineffective: IstioIneffective[]): void {
  const routes = vs.spec[section];
  if (!Array.isArray(routes)) return;
  const encountered = new Map<string, number>();
  const prefixes: PrefixMatch[] = [];
  let emptyMatchSeen = false;
  routes.forEach((route, rule) => {
    if (!isRecord(route)) return;
    const path: FieldPath = ['spec', section, rule];
    const matches = Array.isArray(route.match) ? route.match : [];
    if (matches.length === 0) {
      if (emptyMatchSeen) unreachable.push({ section, rule, reason: 'only the last rule can have no matches', path });
      emptyMatchSeen = true;
      return;
    }
    if (emptyMatchSeen) {
      unreachable.push({ section, rule, reason: 'route without matches defined before', path });
      return;
    }
    let duplicates = 0;
    matches.forEach((m, match) => {
      const key = istioMatchKey(m, section);
      const dup = encountered.get(key);
      if (dup !== undefined) {
        const byMatch = (routes[dup] as { match: unknown[] }).match.findIndex((x) => istioMatchKey(x, section) === key);
        ineffective.push({ section, rule, match, byRule: dup, byMatch, duplicate: true, path: [...path, 'match', match] });
        duplicates++;
        return;
      }
      encountered.set(key, rule);
      if (section === 'http' && isRecord(m)) {
        const p = prefixMatchOf(m, rule, match);
        if (p) prefixes.push(p);
      }
    });
    if (duplicates === matches.length) unreachable.push({ section, rule, reason: 'all matches used by prior rules', path });
  });
  // Istio compares every pair (i < j); only an earlier prefix that is a proper prefix of b's can
  // cover b, so b looks its own prefixes up instead: the same pairs, in Istio's (i, j) order.
  const byPrefix = new Map<string, number[]>();
  const pairs: [number, number][] = [];
  prefixes.forEach((b, j) => {
    for (let len = 1; len < b.prefix.length; len++) {
      for (const i of byPrefix.get(b.prefix.slice(0, len)) ?? []) if (covered(prefixes[i]!, b)) pairs.push([i, j]);
    }
    const list = byPrefix.get(b.prefix);
    if (list) list.push(j);
    else byPrefix.set(b.prefix, [j]);
  });
  pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  for (const [i, j] of pairs) {
    const [a, b] = [prefixes[i]!, prefixes[j]!];
    ineffective.push({ section, rule: b.rule, match: b.match, byRule: a.rule, byMatch: a.match, duplicate: false, path: ['spec', section, b.rule, 'match', b.match] });
  }
}

/** Istio's IST0130 / IST0131 findings for one VirtualService, over `http`, `tcp` and `tls`. */
export function istioRouteAnalysis(vs: MeshObject): IstioRouteAnalysis {
  const unreachable: IstioUnreachable[] = [];
  const ineffective: IstioIneffective[] = [];
  for (const section of ['http', 'tcp', 'tls'] as const) analyzeSection(vs, section, unreachable, ineffective);
  return { unreachable, ineffective };
}
