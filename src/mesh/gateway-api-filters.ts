/**
 * The HTTPRoute and GRPCRoute filters istiod converts, and where (pilot/pkg/config/kube/gateway/conversion.go
 * convertHTTPRoute, convertGRPCRoute, build*Destination). Any other filter type where it is written fails the
 * conversion ("unsupported filter type", ConfigError InvalidFilter) with no route, which computeRoute
 * (route_collections.go) takes as a hard error: istiod builds none of the route's rules. Pure data.
 */
import { isRecord, type MeshObject } from './object.js';
import type { FieldPath } from './types.js';

/** Filter types istiod converts, per route kind: in a rule's `filters` and in a backendRef's `filters`. */
const SUPPORTED: Readonly<Record<string, { readonly rule: ReadonlySet<string>; readonly backend: ReadonlySet<string> }>> = {
  HTTPRoute: {
    rule: new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'RequestMirror', 'URLRewrite', 'CORS']),
    backend: new Set(['RequestHeaderModifier', 'ResponseHeaderModifier']),
  },
  GRPCRoute: {
    rule: new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror']),
    backend: new Set(['RequestHeaderModifier', 'ResponseHeaderModifier']),
  },
};

/** One filter istiod refuses where it is written. */
export interface UnsupportedFilter {
  /** The filter's `type`. */
  readonly type: string;
  /** Index in `spec.rules`. */
  readonly rule: number;
  /** Index in the rule's `backendRefs` when the filter is a backendRef's, else undefined (a rule filter). */
  readonly backendRef?: number;
  /** Whether istiod converts this type in the rule's own `filters` (so moving it there is the fix). */
  readonly supportedOnRule: boolean;
  /** Path to the filter's `type`. */
  readonly path: FieldPath;
}

/** One filter of an HTTPRoute or GRPCRoute, as written: in a rule's `filters` or in a backendRef's `filters`. */
export interface RouteFilter {
  readonly filter: Readonly<Record<string, unknown>>;
  /** Index in `spec.rules`. */
  readonly rule: number;
  /** Index in the rule's `backendRefs` when the filter is a backendRef's, else undefined (a rule filter). */
  readonly backendRef?: number;
  /** Path to the filter (`['spec','rules',i,'filters',j]` or `['spec','rules',i,'backendRefs',k,'filters',j]`). */
  readonly path: FieldPath;
}

/**
 * Every filter of a route in document order: each rule's own `filters`, then its backendRefs' `filters`.
 * Entries that are not objects are skipped (the CRD refuses them; the loader reports them).
 */
export function* routeFilters(route: MeshObject): Generator<RouteFilter> {
  const rules = Array.isArray(route.spec.rules) ? route.spec.rules : [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!isRecord(rule)) continue;
    const lists: [unknown, FieldPath, number | undefined][] = [[rule.filters, ['spec', 'rules', i, 'filters'], undefined]];
    (Array.isArray(rule.backendRefs) ? rule.backendRefs : []).forEach((b, k) => {
      if (isRecord(b)) lists.push([b.filters, ['spec', 'rules', i, 'backendRefs', k, 'filters'], k]);
    });
    for (const [filters, at, backendRef] of lists) {
      const list = Array.isArray(filters) ? filters : [];
      for (let j = 0; j < list.length; j++) {
        const filter = list[j];
        if (isRecord(filter)) yield { filter, rule: i, ...(backendRef === undefined ? {} : { backendRef }), path: [...at, j] };
      }
    }
  }
}

/** The filters of an HTTPRoute or GRPCRoute istiod does not convert where they are written; empty for other kinds. */
export function unsupportedFilters(route: MeshObject): UnsupportedFilter[] {
  const supported = SUPPORTED[route.kind];
  if (!supported) return [];
  const out: UnsupportedFilter[] = [];
  for (const { filter, rule, backendRef, path } of routeFilters(route)) {
    const type = filter.type;
    if (typeof type !== 'string' || (backendRef === undefined ? supported.rule : supported.backend).has(type)) continue;
    out.push({ type, rule, ...(backendRef === undefined ? {} : { backendRef }), supportedOnRule: supported.rule.has(type), path: [...path, 'type'] });
  }
  return out;
}

/** Whether istiod's conversion of this route fails as a whole (an unsupported filter), so it builds none of its rules. */
export function conversionFails(route: MeshObject): boolean {
  return unsupportedFilters(route).length > 0;
}
