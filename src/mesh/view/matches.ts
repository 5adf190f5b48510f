/**
 * HTTP match conditions: typed from `HTTPMatchRequest`, filtered for one proxy (`gateways`,
 * `port`, `sourceLabels`, `sourceNamespace` as istiod filters them). Delegation merges raw entries
 * first (`mesh/delegation.ts` `mergedMatchEntries`, Istio `mergeHTTPMatchRequests`).
 */
import type { FieldPath } from '../types.js';
import { isRecord, stringMap, type MeshObject } from '../object.js';
import { selects } from '../services.js';
import { gatewayRefOf, httpMatchAppliesOn, matchPortOf, type RouteProxy } from '../routing.js';
import { originOf } from './origin.js';
import type { HeaderMatch, HttpMatchView, StringMatch } from './types.js';

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

/**
 * A header-like condition as istiod translates it (`translateHeaderMatch`, `translateQueryParamMatch`):
 * an empty StringMatch (no exact, prefix or regex) or regex `*` is a presence match.
 */
export function headerMatch(v: unknown): HeaderMatch | undefined {
  if (!isRecord(v)) return undefined;
  const sm = stringMatch(v);
  return sm === undefined || ('regex' in sm && sm.regex === '*') ? { present: true } : sm;
}

function matchMap(v: unknown, lower: boolean): Record<string, HeaderMatch> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, HeaderMatch> = {};
  for (const [k, m] of Object.entries(v)) {
    const hm = headerMatch(m);
    if (hm) out[lower ? k.toLowerCase() : k] = hm;
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
    const m = k === 'uri' ? stringMatch(raw[k]) : headerMatch(raw[k]);
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
    ...(matchPortOf(raw) !== undefined ? { port: matchPortOf(raw)! } : {}),
    ...(sourceLabels && Object.keys(sourceLabels).length > 0 ? { sourceLabels: { ...sourceLabels } } : {}),
    ...(typeof raw.sourceNamespace === 'string' && raw.sourceNamespace !== '' ? { sourceNamespace: raw.sourceNamespace } : {}),
    ...(raw.ignoreUriCase === true ? { ignoreUriCase: true } : {}),
    origin: originOf(object, path),
  };
}

const PROXIES = new WeakMap<MatchScope, RouteProxy>();

/**
 * Whether a raw HTTP match applies to this proxy, as `routing.ts` `httpMatchAppliesOn` decides for every stage
 * (Istio `TranslateRoute`: `port`, then `sourceMatchHTTP`, where `gateways`, when set, alone decide).
 */
export function httpMatchApplies(raw: Readonly<Record<string, unknown>>, vsNamespace: string, scope: MatchScope): boolean {
  let proxy = PROXIES.get(scope);
  if (!proxy) PROXIES.set(scope, (proxy = { key: scope.gateway, ports: new Set([scope.port]), labels: scope.labels, namespace: scope.namespace }));
  return httpMatchAppliesOn(raw, vsNamespace, proxy) === true;
}

/**
 * Whether a raw `tcp` or `tls` match applies to this proxy: `gateways`, `port`, `sourceLabels` and
 * `sourceNamespace` must all hold (Istio `matchTCP` / `matchTLS`; unlike HTTP, `gateways` do not replace the rest).
 */
export function matchApplies(raw: Readonly<Record<string, unknown>>, vsNamespace: string, scope: MatchScope): boolean {
  if (Array.isArray(raw.gateways) && raw.gateways.length > 0) {
    const keys = raw.gateways.filter((g): g is string => typeof g === 'string').map((g) => gatewayKey(g, vsNamespace));
    if (!keys.includes(scope.gateway)) return false;
  }
  const port = matchPortOf(raw);
  if (port !== undefined && port !== scope.port) return false;
  if (isRecord(raw.sourceLabels) && !selects(stringMap(raw.sourceLabels), scope.labels)) return false;
  if (typeof raw.sourceNamespace === 'string' && raw.sourceNamespace !== '' && raw.sourceNamespace !== scope.namespace) return false;
  return true;
}
