import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';
import { delegationsInto, droppedDelegateRule } from '../../../mesh/delegation.js';
import { parseGoDuration } from '../../../validate/go-duration.js';
import { retryOnRetriesTimeout } from '../../../mesh/retry-on.js';

/** One `spec.http[i]` route of a VirtualService. */
export interface HttpRouteAt {
  readonly route: Readonly<Record<string, unknown>>;
  readonly path: FieldPath;
  /** `route "name"` or `spec.http[i]`, for messages. */
  readonly label: string;
}

/**
 * The http routes of `vs` as istiod applies them. Given the graph, delegation is resolved as in Istio's
 * `mergeHTTPRoute`: a root's routes that delegate are left out, and each route of a delegate (a
 * VirtualService without hosts) appears once per delegating root route, with that root route's
 * `timeout`, `retries` and `fault` where the delegate sets none (the label says which it inherited).
 * A root whose namespace the delegate is not exported to does not count (istiod skips that merge), and a
 * delegate route whose match lies outside the root route's is left out for that root (istiod drops it).
 */
export function httpRoutesOf(vs: MeshObject, graph?: MeshGraph): HttpRouteAt[] {
  const routes = Array.isArray(vs.spec.http) ? vs.spec.http : [];
  const own: HttpRouteAt[] = [];
  routes.forEach((r, i) => {
    if (!isRecord(r)) return;
    own.push({ route: r, path: ['spec', 'http', i], label: typeof r.name === 'string' && r.name !== '' ? `route "${r.name}"` : `spec.http[${i}]` });
  });
  if (!graph) return own;
  if ((stringList(vs.spec.hosts) ?? []).length > 0) return own.filter((r) => !isRecord(r.route.delegate));
  const roots = delegationsInto(graph, vs);
  if (roots.length === 0) return own;
  const out: HttpRouteAt[] = [];
  const seen = new Set<string>();
  for (const { root, index, rule } of roots) {
    for (const r of own) {
      if (droppedDelegateRule(rule, root.namespace, r.route, vs.namespace)) continue;
      const inherited = INHERITED.filter((k) => r.route[k] === undefined && rule[k] !== undefined);
      const route = { ...r.route, ...Object.fromEntries(inherited.map((k) => [k, rule[k]])) };
      const key = `${r.path.join('.')} ${JSON.stringify(INHERITED.map((k) => route[k]))}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const from = `${root.namespace}/${root.name} spec.http[${index}]`;
      out.push({ route, path: r.path, label: inherited.length > 0 ? `${r.label} (with ${inherited.join(', ')} from its root ${from})` : r.label });
    }
  }
  return out;
}

/** Fields a delegate route takes from the root route when it sets none (Istio `mergeHTTPRoute`). */
const INHERITED = ['timeout', 'retries', 'fault'] as const;

/** A protobuf Duration as written in Istio YAML (`2s`, `1.5s`, `300ms`), in milliseconds; undefined when absent or unparsable (schema validation reports those). */
export function durationMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    const nanos = parseGoDuration(v);
    return nanos < 0n ? undefined : Number(nanos) / 1e6;
  } catch {
    return undefined;
  }
}

/** `8s`, `1.5s`, `250ms`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms) / 1000}s` : `${Math.round(ms * 1000) / 1000}ms`;
}

/** `retries.attempts` as Istio reads it: absent or 0 means no retries; 0 also for a non-finite number (`.inf`, `.nan`: schema/crd-validation reports it), so no message says "Infinity". */
export function retryAttempts(retries: Readonly<Record<string, unknown>>): number {
  return typeof retries.attempts === 'number' && Number.isFinite(retries.attempts) && retries.attempts > 0 ? Math.floor(retries.attempts) : 0;
}

/** An http route with `retries`, with its timings (`timeout` and `perTryTimeout` in ms, undefined when unset or unparsable). */
export interface RetryingRouteAt extends HttpRouteAt {
  readonly retries: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number | undefined;
  readonly perTryTimeoutMs: number | undefined;
  /** {@link retryAttempts}: 0 when retries are off. */
  readonly attempts: number;
}

/**
 * The routes of {@link httpRoutesOf} that have `retries`, with the timings the retry/timeout rules compare.
 * A route with a `fault` counts: istiod keeps its timeout and retries, and the requests the fault does not
 * abort or delay get both (Envoy's fault filter runs before the router). Given the
 * graph, a route without `retries` takes the MeshConfig `defaultHttpRetryPolicy` when one is set, whole,
 * `perTryTimeout` included (istio/istio pilot/pkg/networking/core/route/route.go: `policy := in.Retries`, nil →
 * `Mesh.GetDefaultHttpRetryPolicy()`); its label says so. Istio's built-in default has no per-try timeout.
 */
export function retryingRoutesOf(vs: MeshObject, graph?: MeshGraph): RetryingRouteAt[] {
  const meshDefault = graph?.meshConfig.raw.defaultHttpRetryPolicy;
  return httpRoutesOf(vs, graph).flatMap((r) => {
    const own = isRecord(r.route.retries);
    const retries = own ? r.route.retries as Readonly<Record<string, unknown>> : r.route.retries === undefined && isRecord(meshDefault) ? meshDefault : undefined;
    if (!retries) return [];
    return [{
      ...r, label: own ? r.label : `${r.label} (no retries of its own: MeshConfig defaultHttpRetryPolicy applies)`, retries,
      timeoutMs: durationMs(r.route.timeout), perTryTimeoutMs: durationMs(retries.perTryTimeout), attempts: retryAttempts(retries),
    }];
  });
}

/**
 * Whether a route's retry policy retries a try that timed out: only when `retries.retryOn` lists `5xx`,
 * `gateway-error` or `reset` (`retryOnRetriesTimeout`). Without `retryOn` Istio's default list applies
 * (pilot/pkg/networking/core/route/retry), which never retries a timeout.
 */
export function retriesTimeouts(retries: Readonly<Record<string, unknown>>): boolean {
  return typeof retries.retryOn === 'string' && retryOnRetriesTimeout(retries.retryOn);
}

/**
 * A fault's `percentage.value` (an empty one is 0), else (a delay's) deprecated `percent`, else 0:
 * istiod's TranslateFault injects nothing without a percentage, and an abort has no `percent`.
 */
export function faultPercentOf(f: Readonly<Record<string, unknown>>, legacy: boolean): number {
  if (isRecord(f.percentage)) return typeof f.percentage.value === 'number' ? f.percentage.value : 0;
  return legacy && typeof f.percent === 'number' ? f.percent : 0;
}
