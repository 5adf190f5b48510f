/**
 * Promises of HTTP routes: for every route a RouteTable renders (whoever added it: a CanaryRelease,
 * a HeaderSplit, `addRoute`), one request per match entry (or one plain request for a catch-all)
 * and what it must get: the destination or the weighted split, fault abort and delay shares,
 * retries, timeout, mirror, redirect or direct response. Taken from the construct's own
 * (translated) intent at synth time, never from dist/, so a later edit of dist/ cannot move the goal.
 */
import type { VirtualServiceSpecHttp } from '../../../imports/networking.istio.io.js';
import { Duration } from '../../constructs/duration.js';
import type { RouteTable } from '../../constructs/route-table.js';
import { isPresenceMatch, routeMatches, type HeaderMatch, type MatchConditions, type MatchRequest, type StringMatch } from '../static/match.js';
import { asMatchRequest } from './match-request.js';
import { describeRequest } from './describe.js';
import { perTryEnding, timeoutWindowMs, type DestinationSpec, type Expectation, type ExpectationSource, type Outcome, type RequestSpec, type RequestVia } from './types.js';

/** What the collector knows about the app, for resolving hosts, versions and gateway ports. */
export interface RouteContext {
  /** Cluster domain for short host names. */
  readonly clusterDomain: string;
  /** Pod labels behind `host` + `subset`, for services whose versions are known (MeshService: `{version}`). */
  readonly versionLabels: (host: string, subset: string) => Readonly<Record<string, string>> | undefined;
  /** The port of the server that routes HTTP for Gateway `<ns>/<name>` (not the https-redirect one). */
  readonly gatewayPort: (ref: string) => number | undefined;
  /** Construct path and TypeScript line of a route's author. */
  readonly sourceOf: (table: RouteTable, index: number) => ExpectationSource;
}

type Raw = Readonly<Record<string, unknown>>;

/** `host` as the client sends it: a short name in `namespace` made an FQDN, a leading `*.` made `verify.`, lower case (hosts compare case-insensitively). */
function fqdn(host: string, namespace: string | undefined, clusterDomain: string): string {
  if (host.includes('.') || host.includes('*')) return host.replace(/^\*\./, 'verify.').toLowerCase();
  return `${host}.${namespace ?? 'default'}.svc.${clusterDomain}`.toLowerCase();
}

function sample(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const s = m as Record<string, unknown>;
  if (typeof s.exact === 'string') return s.exact;
  if (typeof s.prefix === 'string') return s.prefix === '' ? '/' : s.prefix;
  return undefined;
}

/** A value for a header-like condition: any value for a presence match (istiod's `present_match`), else {@link sample}. */
function sampleValue(m: unknown, any: string): string | undefined {
  return typeof m === 'object' && m !== null && isPresenceMatch(m as HeaderMatch) ? any : sample(m);
}

/** A request that satisfies one raw Istio match, or undefined when none can be written (regex). */
export function requestFor(match: Raw | undefined, base: Omit<RequestSpec, 'path' | 'method' | 'headers'>): RequestSpec | undefined {
  let path = '/';
  let method = 'GET';
  let host = base.host;
  const headers: Record<string, string> = {};
  if (match) {
    if (match.uri !== undefined) {
      const p = sample(match.uri);
      if (p === undefined) return undefined;
      path = p.startsWith('/') ? p : `/${p}`;
    }
    if (match.method !== undefined) {
      const m = sampleValue(match.method, method);
      if (m === undefined) return undefined;
      method = m;
    }
    if (match.authority !== undefined) {
      const a = sampleValue(match.authority, host);
      if (a === undefined) return undefined;
      host = a;
    }
    for (const [k, v] of Object.entries((match.headers as Raw | undefined) ?? {})) {
      // A JWT claim (`@request.auth.claims…`) is jwt_authn metadata, not a header; the proxy has no
      // jwt_authn filter, so no request can carry it: no promise is made for this match.
      if (k.toLowerCase().startsWith('@request.auth.claims')) return undefined;
      const value = sampleValue(v, '1');
      if (value === undefined) return undefined;
      headers[k.toLowerCase()] = value;
    }
    const query = Object.entries((match.queryParams as Raw | undefined) ?? {}).map(([k, v]) => [k, sampleValue(v, '1')] as const);
    if (query.some(([, v]) => v === undefined)) return undefined;
    if (query.length > 0) path += `?${new URLSearchParams(query as [string, string][]).toString()}`;
  }
  // A match on `port` (a per-port CanaryRelease) is met by sending to that service port.
  const port = base.via.kind === 'mesh' && typeof match?.port === 'number' ? { port: match.port } : {};
  return { ...base, ...port, host, path, method, headers };
}

export { asMatchRequest };

/**
 * Whether an earlier route may take `request`: a match on another port than the request's never
 * does (istiod leaves it out of that port's route configuration); a request without a port may
 * arrive on any, so a port match does not rule it out.
 */
function takes(route: VirtualServiceSpecHttp, request: RequestSpec): boolean {
  const all = (route.match ?? []).map((m) => m as Raw);
  if (all.length === 0) return true;
  const here = all.filter((m) => typeof m.port !== 'number' || request.port === undefined || m.port === request.port);
  return here.length > 0 && routeMatches(here.map(conditions), asMatchRequest(request));
}

function conditions(raw: Raw): MatchConditions {
  const sm = (v: unknown) => (typeof v === 'object' && v !== null ? (v as StringMatch) : undefined);
  const map = (v: unknown) => (typeof v === 'object' && v !== null ? (v as Record<string, StringMatch>) : undefined);
  return {
    uri: sm(raw.uri), method: sm(raw.method), authority: sm(raw.authority), scheme: sm(raw.scheme),
    headers: map(raw.headers), withoutHeaders: map(raw.withoutHeaders), queryParams: map(raw.queryParams),
    ignoreUriCase: raw.ignoreUriCase === true,
  };
}

function ms(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const d = Duration.parse(v);
  return d.isValid ? d.milliseconds : undefined;
}

function label(d: DestinationSpec): string {
  const short = d.host.split('.')[0];
  return d.subset !== undefined ? `${short} ${d.subset}` : short!;
}

/** Every promise of one RouteTable. */
export function routeExpectations(table: RouteTable, ctx: RouteContext): Expectation[] {
  const spec = table.virtualService.toJson().spec as { hosts?: string[]; gateways?: string[] };
  const host0 = spec.hosts?.[0];
  if (host0 === undefined) return [];
  const gateways = (spec.gateways ?? ['mesh']).filter((g) => g !== 'mesh');
  const gatewayPort = gateways.length > 0 ? ctx.gatewayPort(gateways[0]!) : undefined;
  if (gateways.length > 0 && gatewayPort === undefined) return [];
  const via: RequestVia = gateways.length > 0 ? { kind: 'gateway', gateway: gateways[0]!, port: gatewayPort! } : { kind: 'mesh', namespace: table.namespace ?? 'default' };
  // Host names compare case-insensitively (Envoy lower-cases domains, the Host header and SNI; the model lower-cases hosts).
  const host = (via.kind === 'gateway' ? host0.replace(/^\*\./, 'verify.') : fqdn(host0, table.namespace, ctx.clusterDomain)).toLowerCase();
  const routes = table.routeOrigins.map((o) => o.http);
  const out: Expectation[] = [];
  routes.forEach((http, i) => {
    const source = ctx.sourceOf(table, i);
    const name = http.name ?? `route${i}`;
    const matches: (Raw | undefined)[] = http.match && http.match.length > 0 ? http.match.map((m) => m as Raw) : [undefined];
    matches.forEach((m, j) => {
      const request = requestFor(m, { host, via });
      if (!request) return;
      // A request an earlier route takes says nothing about this one (a catch-all's plain request, an overlapping match).
      if (routes.slice(0, i).some((r) => takes(r, request))) return;
      const suffix = matches.length > 1 ? `.m${j}` : '';
      for (const [kind, outcome, promise] of outcomesOf(http, table, ctx)) {
        out.push({ id: `${source.constructPath}#${name}${suffix}.${kind}`, promise: `${describeRequest(request)}: ${promise}`, source, request, outcome });
      }
    });
  });
  return out;
}

function destinationOf(d: { host: string; subset?: string }, table: RouteTable, ctx: RouteContext): DestinationSpec {
  const host = fqdn(d.host, table.namespace, ctx.clusterDomain);
  const labels = d.subset !== undefined ? ctx.versionLabels(host, d.subset) : undefined;
  return { host, ...(d.subset !== undefined ? { subset: d.subset } : {}), ...(labels ? { labels: { ...labels } } : {}) };
}

function outcomesOf(http: VirtualServiceSpecHttp, table: RouteTable, ctx: RouteContext): [string, Outcome, string][] {
  const out: [string, Outcome, string][] = [];
  const abort = http.fault?.abort;
  const delay = http.fault?.delay;
  if (http.redirect) {
    const r = http.redirect;
    out.push(['redirect', { kind: 'redirect', status: r.redirectCode ?? 301, ...(r.scheme ? { scheme: r.scheme } : {}), ...(r.authority ? { authority: r.authority } : {}), ...(r.uri ? { uri: r.uri } : {}), ...(r.port ? { port: r.port } : {}) },
      `answered ${r.redirectCode ?? 301} with a Location to ${r.scheme ?? '<same scheme>'}://${r.authority ?? '<same host>'}${r.uri ?? '<same path>'}`]);
  }
  if (http.directResponse) out.push(['status', { kind: 'status', status: http.directResponse.status }, `answered ${http.directResponse.status} directly`]);
  const weighted = (http.route ?? []).filter((d) => (http.route!.length === 1 ? true : (d.weight ?? 0) > 0));
  // A partial abort answers its share before routing: the routing promise is about the rest.
  // istiod's TranslateFault: without a percentage (or with an empty one) a fault injects nothing.
  const abortPct = abort ? abort.percentage?.value ?? 0 : 0;
  const aborted = abort?.httpStatus !== undefined && abortPct > 0 ? { aborted: { status: abort.httpStatus, percent: abortPct } } : {};
  const rest = 'aborted' in aborted ? ' not aborted' : '';
  if (weighted.length > 0 && abortPct < 100) {
    const total = weighted.reduce((s, d) => s + (http.route!.length === 1 ? 100 : d.weight ?? 0), 0);
    if (weighted.length === 1) {
      const dest = destinationOf(weighted[0]!.destination, table, ctx);
      out.push(['reaches', { kind: 'reaches', destination: dest, ...aborted }, `every request${rest} reaches ${label(dest)}`]);
    } else {
      const shares = weighted.map((d) => ({ destination: destinationOf(d.destination, table, ctx), percent: ((d.weight ?? 0) * 100) / total }));
      out.push(['split', { kind: 'split', shares, ...aborted }, `${rest ? 'requests not aborted ' : ''}split ${shares.map((s) => `${s.percent} % to ${label(s.destination)}`).join(', ')}`]);
    }
  }
  if (abort?.httpStatus !== undefined && abortPct > 0) {
    const pct = abortPct;
    out.push(['abort', { kind: 'abort', status: abort.httpStatus, percent: pct }, `${pct} % answered ${abort.httpStatus} by an injected fault (FI)`]);
  }
  const delayMs = ms(delay?.fixedDelay);
  const delayPct = delay ? delay.percentage?.value ?? (delay.percentage === undefined ? (delay as { percent?: number }).percent ?? 0 : 0) : 0;
  if (delay && delayMs !== undefined && delayPct > 0) {
    const pct = delayPct;
    out.push(['delay', { kind: 'delay', delayMs, percent: pct }, `${pct} % delayed at least ${delayMs} ms (DI)`]);
  }
  // The fault filter runs before the router: retries and the timeout apply to the requests it does not
  // abort, and a delay is spent before the timeout starts.
  const notAborted = 'aborted' in aborted ? `, except the ${abortPct} % the fault aborts` : '';
  if (http.retries && (http.retries.attempts ?? 0) > 0) {
    const r = { ...http.retries, attempts: http.retries.attempts ?? 0 };
    const perTry = ms(r.perTryTimeout);
    out.push(['retries', {
      kind: 'retries', attempts: r.attempts,
      ...(r.retryOn ? { retryOn: r.retryOn.split(',').map((s) => s.trim()).filter((s) => s !== '') } : {}),
      ...(perTry !== undefined ? { perTryTimeoutMs: perTry } : {}),
      ...aborted,
    }, `retried up to ${r.attempts} time${r.attempts === 1 ? '' : 's'}${r.retryOn ? ` on ${r.retryOn}` : ''}${perTry !== undefined ? `, ${perTry} ms per try` : ''}${notAborted}`]);
  }
  // No timeout, or `0s`, disables the route timeout (Istio): then only per-try timeouts end a slow request.
  const timeoutMs = ms(http.timeout) ?? 0;
  const r = http.retries;
  const perTry = r ? perTryEnding({ attempts: r.attempts ?? 0, perTryTimeoutMs: ms(r.perTryTimeout), retryOn: r.retryOn, backoffMs: ms((r as { backoff?: string }).backoff) }, timeoutMs) : undefined;
  if (timeoutMs > 0 || perTry) {
    const delayed = delay && delayMs !== undefined && delayPct > 0 ? { delayMs, percent: delayPct } : undefined;
    const w = timeoutWindowMs({ timeoutMs, perTry });
    const when = w.to - w.from >= 200 ? `${w.from} to ${w.to}` : `${w.from}`;
    const before = timeoutMs > 0 ? `before the ${timeoutMs} ms route timeout` : '(the route has no timeout)';
    const ends = perTry
      ? `ends 504 (UT) after ${when} ms when the backend is slower: ${perTry.tries === 1 ? `its ${perTry.perTryTimeoutMs} ms per-try timeout ends it ${before} (retryOn ${r!.retryOn ? r!.retryOn : 'Istio\'s default'} retries no timed-out try)` : `${perTry.tries} tries of ${perTry.perTryTimeoutMs} ms${perTry.backoffMaxMs && w.to - w.from >= 200 ? ` and up to ${perTry.backoffMaxMs} ms of back-off` : ''} end it ${before}`}`
      : `ends 504 (UT) after ${timeoutMs} ms when the backend is slower`;
    out.push(['timeout', { kind: 'timeout', timeoutMs, ...(perTry ? { perTry } : {}), ...(r ? { routeRetries: true as const } : {}), ...aborted, ...(delayed ? { delayed } : {}) },
      `${ends}${notAborted}${delayed ? ` (${delayed.percent} % only after the fault's ${delayMs} ms delay)` : ''}`]);
  }
  // istiod MirrorPercent: an explicit percentage (an empty one is 0) mirrors that share, 0 nothing; else 100 %.
  const share = (p: { value?: number } | undefined) => (p === undefined ? 100 : p.value ?? 0);
  const mirrors = (http.mirror ? [{ destination: http.mirror, percent: share(http.mirrorPercentage) }] : (http.mirrors ?? []).map((m) => ({ destination: m.destination, percent: share(m.percentage) }))).filter((m) => m.percent > 0);
  mirrors.forEach((m, k) => {
    const dest = destinationOf(m.destination, table, ctx);
    out.push([mirrors.length > 1 ? `mirror${k}` : 'mirror', { kind: 'mirror', destination: dest, percent: m.percent }, `${m.percent} % copied to ${label(dest)} (-shadow)`]);
  });
  return out;
}

