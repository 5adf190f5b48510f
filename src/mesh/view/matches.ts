/**
 * HTTP match conditions: typed from `HTTPMatchRequest`, filtered for one proxy (`gateways`,
 * `port`, `sourceLabels`, `sourceNamespace` as istiod filters them), and merged for delegation
 * (`mergeHTTPMatchRequests`: a delegate's match must lie within its root's).
 */
import type { FieldPath } from '../types.js';
import { isRecord, stringMap, type MeshObject } from '../object.js';
import { selects } from '../services.js';
import { gatewayRefOf } from '../routing.js';
import { originOf } from './origin.js';
import type { HttpMatchView, StringMatch } from './types.js';

/** The proxy a match is evaluated for. */
export interface MatchScope {
  /** `mesh` for sidecars, else the Gateway as `namespace/name`. */
  readonly gateway: string;
  /** The port the routes are built for. */
  readonly port: number;
  /** Labels and namespace of the client proxy (sidecars; gateways are their own source). */
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
}

export function stringMatch(v: unknown): StringMatch | undefined {
  if (!isRecord(v)) return undefined;
  if (typeof v.exact === 'string') return { exact: v.exact };
  if (typeof v.prefix === 'string') return { prefix: v.prefix };
  if (typeof v.regex === 'string') return { regex: v.regex };
  return undefined;
}

function matchMap(v: unknown, lower: boolean): Record<string, StringMatch> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, StringMatch> = {};
  for (const [k, m] of Object.entries(v)) {
    const sm = stringMatch(m);
    if (sm) out[lower ? k.toLowerCase() : k] = sm;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A gateway reference as `spec.gateways` / `match.gateways` write it, resolved to `namespace/name` or `mesh` (`routing.ts` `gatewayRefOf`). */
export function gatewayKey(ref: string, vsNamespace: string): string {
  return gatewayRefOf(ref, vsNamespace, []).key;
}

/** Types one `HTTPMatchRequest`. */
export function httpMatch(raw: Readonly<Record<string, unknown>>, object: MeshObject, path: FieldPath): HttpMatchView {
  const sm = (k: string) => {
    const m = stringMatch(raw[k]);
    return m ? { [k]: m } : {};
  };
  const headers = matchMap(raw.headers, true);
  const withoutHeaders = matchMap(raw.withoutHeaders, true);
  const queryParams = matchMap(raw.queryParams, false);
  const sourceLabels = isRecord(raw.sourceLabels) ? stringMap(raw.sourceLabels) : undefined;
  return {
    ...(typeof raw.name === 'string' ? { name: raw.name } : {}),
    ...sm('uri'), ...sm('scheme'), ...sm('method'), ...sm('authority'),
    ...(headers ? { headers } : {}),
    ...(withoutHeaders ? { withoutHeaders } : {}),
    ...(queryParams ? { queryParams } : {}),
    ...(typeof raw.port === 'number' ? { port: raw.port } : {}),
    ...(sourceLabels && Object.keys(sourceLabels).length > 0 ? { sourceLabels: { ...sourceLabels } } : {}),
    ...(typeof raw.sourceNamespace === 'string' ? { sourceNamespace: raw.sourceNamespace } : {}),
    ...(raw.ignoreUriCase === true ? { ignoreUriCase: true } : {}),
    origin: originOf(object, path),
  };
}

/** Whether a raw match applies to this proxy: `gateways`, `port`, `sourceLabels`, `sourceNamespace`. */
export function matchApplies(raw: Readonly<Record<string, unknown>>, vsNamespace: string, scope: MatchScope): boolean {
  if (Array.isArray(raw.gateways) && raw.gateways.length > 0) {
    const keys = raw.gateways.filter((g): g is string => typeof g === 'string').map((g) => gatewayKey(g, vsNamespace));
    if (!keys.includes(scope.gateway)) return false;
  }
  if (typeof raw.port === 'number' && raw.port !== scope.port) return false;
  if (isRecord(raw.sourceLabels) && !selects(stringMap(raw.sourceLabels), scope.labels)) return false;
  if (typeof raw.sourceNamespace === 'string' && raw.sourceNamespace !== scope.namespace) return false;
  return true;
}

function sameMatch(a: StringMatch | undefined, b: StringMatch | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether the delegate's uri lies within the root's (prefix under prefix, exact under prefix, or equal). */
function uriWithin(root: StringMatch, del: StringMatch): boolean {
  if ('prefix' in root) return ('prefix' in del && del.prefix.startsWith(root.prefix)) || ('exact' in del && del.exact.startsWith(root.prefix));
  return sameMatch(root, del);
}

/** Merges a root and a delegate match; null when they conflict (the delegate route is dropped, as in Istio). */
export function mergeMatch(root: HttpMatchView, del: HttpMatchView): HttpMatchView | null {
  if (root.uri && del.uri && !uriWithin(root.uri, del.uri)) return null;
  for (const k of ['scheme', 'method', 'authority'] as const) if (root[k] && del[k] && !sameMatch(root[k], del[k])) return null;
  if (root.port !== undefined && del.port !== undefined && root.port !== del.port) return null;
  const merged: Record<string, unknown> = { ...root, ...del };
  for (const k of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    const a = root[k] ?? {};
    const b = del[k] ?? {};
    for (const key of Object.keys(b)) if (a[key] && !sameMatch(a[key], b[key])) return null;
    if (root[k] || del[k]) merged[k] = { ...a, ...b };
  }
  if (!del.uri && root.uri) merged.uri = root.uri;
  return merged as unknown as HttpMatchView;
}

/** Root × delegate matches, conflicts dropped; null when every pair conflicts. */
export function mergeMatches(root: readonly HttpMatchView[], del: readonly HttpMatchView[]): HttpMatchView[] | null {
  if (root.length === 0) return [...del];
  if (del.length === 0) return [...root];
  const out: HttpMatchView[] = [];
  for (const r of root) for (const d of del) {
    const m = mergeMatch(r, d);
    if (m) out.push(m);
  }
  return out.length > 0 ? out : null;
}
