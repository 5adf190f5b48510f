/**
 * The route rules of a VirtualService and their destinations, read once for every stage that needs
 * them (the check rules, `meshproof diff`'s weight changes, the traffic map): Istio's
 * `VirtualService.http[]`, `.tls[]` and `.tcp[]` (`HTTPRoute`, `TLSRoute`, `TCPRoute`), each with its
 * `route[]` of `RouteDestination`s. Lenient like the API server's structural reading: entries that are
 * not mappings are skipped, not thrown on (schema validation reports them).
 */
import { isRecord, type MeshObject } from './object.js';
import type { FieldPath } from './types.js';

/** The route sections of a VirtualService, in the order istiod builds them. */
export const ROUTE_SECTIONS = ['http', 'tls', 'tcp'] as const;
export type RouteSection = (typeof ROUTE_SECTIONS)[number];

/** One `route[j]` entry of a rule that has a `destination` mapping. */
export interface RouteDestinationEntry {
  /** The `destination` mapping (`host`, `subset`, `port.number`) as written. */
  readonly destination: Readonly<Record<string, unknown>>;
  /** `weight` as written: a number, `undefined` when unset, or whatever else the YAML held. */
  readonly weight: unknown;
  /**
   * The weight Istio routes by: a rule with a single destination sends it everything (istiod builds
   * a plain `route.cluster`, ignoring the weight), so 100; with several, `weight` (unset or not a
   * number = 0) out of their sum (`weighted_clusters`, Envoy divides by the total).
   */
  readonly effectiveWeight: number;
  /** Index in `route[]`. */
  readonly index: number;
  /** Path of the `route[j]` entry. */
  readonly path: FieldPath;
}

/** One route rule (`http[i]`, `tls[i]`, `tcp[i]`). */
export interface RouteRule {
  readonly section: RouteSection;
  /** Index in its section. */
  readonly index: number;
  /** `name` when set and non-empty. */
  readonly name: string | null;
  /** The rule as written. */
  readonly rule: Readonly<Record<string, unknown>>;
  /** `['spec', section, index]`. */
  readonly path: FieldPath;
  /** Whether `route` is a list (a rule with `redirect` or `directResponse` has none). */
  readonly hasRoute: boolean;
  /** Entries of `route[]` with a `destination` mapping, in order. */
  readonly destinations: readonly RouteDestinationEntry[];
}

/**
 * Every route rule of a VirtualService, http then tls then tcp, each in written order (the order
 * Envoy matches them in). Never throws.
 */
export function routeRulesOf(vs: MeshObject): RouteRule[] {
  const out: RouteRule[] = [];
  for (const section of ROUTE_SECTIONS) {
    const rules = vs.spec[section];
    if (!Array.isArray(rules)) continue;
    rules.forEach((rule, index) => {
      if (!isRecord(rule)) return;
      const path: FieldPath = ['spec', section, index];
      const entries = Array.isArray(rule.route) ? rule.route : [];
      const withDestination = entries.flatMap((e, j) => (isRecord(e) && isRecord(e.destination) ? [{ e, j }] : []));
      const destinations = withDestination.map(({ e, j }) => ({
        destination: e.destination as Record<string, unknown>,
        weight: e.weight,
        effectiveWeight: withDestination.length === 1 ? 100 : typeof e.weight === 'number' && Number.isFinite(e.weight) ? e.weight : 0,
        index: j,
        path: [...path, 'route', j] as FieldPath,
      }));
      const name = typeof rule.name === 'string' && rule.name !== '' ? rule.name : null;
      out.push({ section, index, name, rule, path, hasRoute: Array.isArray(rule.route), destinations });
    });
  }
  return out;
}
