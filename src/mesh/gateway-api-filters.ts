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

/** The filters of an HTTPRoute or GRPCRoute istiod does not convert where they are written; empty for other kinds. */
export function unsupportedFilters(route: MeshObject): UnsupportedFilter[] {
  const supported = SUPPORTED[route.kind];
  if (!supported) return [];
  const out: UnsupportedFilter[] = [];
  (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
    if (!isRecord(rule)) return;
    const judge = (filters: unknown, allowed: ReadonlySet<string>, at: FieldPath, backendRef?: number) => {
      (Array.isArray(filters) ? filters : []).forEach((f, j) => {
        if (!isRecord(f) || typeof f.type !== 'string' || allowed.has(f.type)) return;
        out.push({ type: f.type, rule: i, ...(backendRef === undefined ? {} : { backendRef }), supportedOnRule: supported.rule.has(f.type), path: [...at, j, 'type'] });
      });
    };
    judge(rule.filters, supported.rule, ['spec', 'rules', i, 'filters']);
    (Array.isArray(rule.backendRefs) ? rule.backendRefs : []).forEach((b, k) => {
      if (isRecord(b)) judge(b.filters, supported.backend, ['spec', 'rules', i, 'backendRefs', k, 'filters'], k);
    });
  });
  return out;
}

/** Whether istiod's conversion of this route fails as a whole (an unsupported filter), so it builds none of its rules. */
export function conversionFails(route: MeshObject): boolean {
  return unsupportedFilters(route).length > 0;
}
