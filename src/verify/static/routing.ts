/**
 * Static judgement of request promises: the route the request selects in the sender's view, and
 * whether it does what the promise says (destination and the pods behind it, weights, fault,
 * retries, timeout, mirror, redirect, status).
 */
import type { MeshGraph } from '../../mesh/graph.js';
import { selects } from '../../mesh/services.js';
import type { DestinationView, HttpRouteView, ProxyView } from '../../mesh/view/index.js';
import { perTryEnding, timeoutWindowMs, type DestinationSpec, type Expectation, type Outcome, type RequestSpec } from '../expectations/types.js';
import { refusalAt, type Refusal } from './refusal.js';
import { describeOrigin, hostRoutesFor, routeLabel, selectRoute, viewFor } from './select.js';
import type { Verdict } from './verdict.js';

const short = (host: string) => host.split('.')[0]!;
const named = (d: { host: string; subset?: string }) => `${short(d.host)}${d.subset !== undefined ? ` ${d.subset}` : ''}`;
const EPS = 1e-9;

/** Why the pods behind a destination break the promise, or null when they keep it. */
export function endpointProblem(graph: MeshGraph, view: ProxyView, d: DestinationView, expected: DestinationSpec): string | null {
  if (d.host !== expected.host || (expected.subset !== undefined && d.subset !== expected.subset)) {
    return `it goes to ${named(d)}, not ${named(expected)}`;
  }
  const service = graph.services.forHost(d.host, view.proxy.namespace)[0];
  if (service?.selector && d.subset !== undefined && d.subsetLabels === undefined) {
    return `subset ${d.subset} is defined by no DestinationRule for ${d.host}, so its cluster has no endpoints (503)`;
  }
  const missing = missingCluster(view, d);
  if (missing !== null) return missing;
  if (!service?.selector) return null;
  const pods = graph.workloads.selectedBy(service.namespace, { ...service.selector, ...d.subsetLabels });
  if (pods.length === 0) return `${named(d)} selects no pod (${Object.entries({ ...service.selector, ...d.subsetLabels }).map(([k, v]) => `${k}=${v}`).join(',')}): 503 UH`;
  if (expected.labels) {
    const wrong = pods.filter((w) => !selects(expected.labels!, w.labels));
    if (wrong.length > 0) {
      const want = Object.entries(expected.labels).map(([k, v]) => `${k}=${v}`).join(',');
      return `subset ${d.subset ?? '(none)'} selects ${wrong.map((w) => `${w.kind} ${w.namespace}/${w.name} (${Object.keys(expected.labels!).map((k) => `${k}=${w.labels[k] ?? '(unset)'}`).join(',')})`).join(', ')}, not ${want}`;
    }
  }
  return null;
}

/**
 * Why `d` has no cluster in the sender's view (istiod sends none: the host, or this port of it, is
 * outside its sidecar scope, e.g. a Sidecar egress listener bound to another port), or null when it
 * has one. Envoy answers such a route 503 (NC, cluster not found).
 */
export function missingCluster(view: ProxyView, d: DestinationView): string | null {
  if (d.cluster !== null && view.clusters.some((c) => c.name === d.cluster)) return null;
  const what = d.cluster ?? `${d.host} (no port)`;
  return `${view.proxy.namespace}/${view.proxy.name} has no cluster ${what}: ${d.host}${d.port !== null ? ` port ${d.port}` : ''} is not in its sidecar scope${view.sidecar ? ` (Sidecar ${view.sidecar.ref.namespace}/${view.sidecar.ref.name} does not import it)` : ''}, so Envoy answers 503 (NC)`;
}

function activeDestinations(route: HttpRouteView): DestinationView[] {
  return route.destinations.length === 1 ? [...route.destinations] : route.destinations.filter((d) => d.weight > 0);
}

function shares(route: HttpRouteView): { d: DestinationView; share: number }[] {
  const active = activeDestinations(route);
  const total = active.reduce((s, d) => s + (route.destinations.length === 1 ? 100 : d.weight), 0);
  return active.map((d) => ({ d, share: ((route.destinations.length === 1 ? 100 : d.weight) * 100) / total }));
}

function describeSplit(route: HttpRouteView): string {
  return shares(route).map((s) => `${+s.share.toFixed(3)} % to ${named(s.d)}`).join(', ') || 'nowhere';
}

/**
 * The refusal a routing promise's client meets at the destination's sidecars (`refusal.ts`), for a
 * `reaches` or `split` promise whose route goes where promised; null otherwise.
 */
export function routeRefusal(graph: MeshGraph, e: Expectation & { request: RequestSpec }, route: HttpRouteView, others: readonly Expectation[], matchIndex: number | null = null): Refusal | null {
  if (e.outcome.kind !== 'reaches' && e.outcome.kind !== 'split') return null;
  // The paths the route takes, as the destination sees them (not after a rewrite, nor case-folded).
  const uri = matchIndex === null ? undefined : route.match[matchIndex];
  const within = uri?.uri && !uri.ignoreUriCase && !route.rewrite && !('regex' in uri.uri) ? uri.uri : undefined;
  for (const d of activeDestinations(route)) {
    const r = refusalAt(graph, e, { host: d.host, ...(d.subset !== undefined ? { subset: d.subset } : {}), ...(d.subsetLabels ? { subsetLabels: d.subsetLabels } : {}) }, d.port ?? undefined, others, within);
    if (r) return r;
  }
  return null;
}

/**
 * Judges a promise with a request.
 * @param others every promise of the run: an authorization promise there may expect the refusal a routing promise meets
 */
export function judgeRequest(graph: MeshGraph, e: Expectation & { request: RequestSpec }, others: readonly Expectation[] = []): Verdict {
  const view = viewFor(graph, e.request.via);
  if (typeof view === 'string') return { id: e.id, status: 'broken', detail: view };
  const routes = hostRoutesFor(view, e.request);
  const wantMatch = e.wantMatch !== false;
  if (typeof routes === 'string') {
    if (e.outcome.kind === 'status' && e.outcome.status === 404) return { id: e.id, status: 'held', detail: routes };
    return { id: e.id, status: wantMatch ? 'broken' : 'held', detail: routes };
  }
  const selected = selectRoute(routes, e.request);
  const undefinedOrder = routes.ignoredVirtualServices.length > 0
    ? `order undefined: Istio applies one of several VirtualServices for ${routes.host} (IST0109): ${[...routes.virtualServices, ...routes.ignoredVirtualServices].map(describeOrigin).join('; ')}`
    : undefined;
  if (!selected) {
    if (e.outcome.kind === 'status' && e.outcome.status === 404) return { id: e.id, status: 'held', detail: 'no route takes the request: 404 NR' };
    return { id: e.id, status: wantMatch ? 'broken' : 'held', detail: `no route for ${routes.host}:${routes.port} takes the request: Envoy answers 404 (NR)` };
  }
  const { route, index } = selected;
  // With no VirtualService for the host, the route is Istio's own (named "default", like a user's may be).
  const where = routes.virtualServices.length === 0
    ? `Istio's implicit default route (no VirtualService for ${routes.host}:${routes.port}: every request goes to the Service, ${describeOrigin(route.origin)})`
    : `${routeLabel(route, index)} at ${describeOrigin(route.origin)}`;
  const unrouted = route.directResponse || route.redirect ? [] : activeDestinations(route).map((d) => missingCluster(view, d));
  if (e.outcome.kind === 'status' && wantMatch && unrouted.length > 0 && unrouted.every((m) => m !== null) && !(route.fault?.abort && route.fault.abort.percentage >= 100)) {
    const detail = `selects ${where}, but ${unrouted[0]!}`;
    return e.outcome.status === 503 ? { id: e.id, status: 'held', detail, evidence: route.origin } : { id: e.id, status: 'broken', detail: `${detail}, not ${e.outcome.status}`, evidence: route.origin };
  }
  if (e.outcome.kind === 'status' && wantMatch && !route.directResponse && !route.redirect && !(route.fault?.abort && route.fault.abort.percentage >= 100)) {
    return { id: e.id, status: 'runtime-only', detail: `selects ${where}, which forwards to ${activeDestinations(route).map(named).join(', ')}: the status comes from the backend`, evidence: route.origin };
  }
  const problem = judgeRoute(graph, view, route, e.outcome);
  const refusal = problem === null && wantMatch ? routeRefusal(graph, e, route, others, selected.matchIndex) : null;
  const verdict: Verdict = problem !== null
    ? { id: e.id, status: 'broken', detail: `selects ${where}, but ${problem}`, evidence: route.origin }
    : refusal?.kind === 'identity'
      ? { id: e.id, status: 'broken', detail: `selects ${where}; ${refusal.message}`, evidence: route.origin }
      : { id: e.id, status: 'held', detail: `selects ${where}${refusal ? `; ${refusal.message}` : ''}`, evidence: route.origin };
  if (!wantMatch) return verdict.status === 'held' ? { ...verdict, status: 'broken', detail: `expected no match, but ${verdict.detail}` } : { ...verdict, status: 'held' };
  if (undefinedOrder && verdict.status === 'held') return { ...verdict, status: 'undefined', detail: `${verdict.detail}; ${undefinedOrder}` };
  return verdict;
}

/**
 * Null when the route's timers end a slow request in the window of a timeout promise made without a
 * route timeout (`timeoutMs` 0: its per-try timeouts alone), else what breaks it. The route's retries
 * are the view's: its own, or MeshConfig `defaultHttpRetryPolicy` when it writes none.
 */
function perTryProblem(route: HttpRouteView, outcome: Extract<Outcome, { kind: 'timeout' }>): string | null {
  const r = route.retries;
  const routeTimeoutMs = route.timeoutMs ?? 0;
  const perTry = perTryEnding({ attempts: r.attempts, perTryTimeoutMs: r.perTryTimeoutMs, retryOn: r.retryOn, backoffMs: r.backoffBaseMs }, routeTimeoutMs);
  if (!perTry && routeTimeoutMs <= 0) return 'it has neither a timeout nor a per-try timeout: nothing ends a slow request';
  const got = timeoutWindowMs({ timeoutMs: routeTimeoutMs, perTry });
  const want = timeoutWindowMs(outcome);
  if (got.from === want.from && got.to === want.to) return null;
  const at = (w: { from: number; to: number }) => (w.to > w.from ? `${w.from} to ${w.to}` : `${w.from}`);
  const why = perTry ? `${perTry.tries} tr${perTry.tries === 1 ? 'y' : 'ies'} of ${perTry.perTryTimeoutMs} ms${routeTimeoutMs > 0 ? `, ${routeTimeoutMs} ms route timeout` : ''}` : `its ${routeTimeoutMs} ms timeout`;
  return `its timers end a slow request at ${at(got)} ms (${why}), not ${at(want)} ms`;
}

/** Null when `route` keeps `outcome`, else what breaks it. */
export function judgeRoute(graph: MeshGraph, view: ProxyView, route: HttpRouteView, outcome: Outcome): string | null {
  switch (outcome.kind) {
    case 'reaches': {
      if (route.redirect) return `it redirects (${route.redirect.redirectCode}) instead of forwarding`;
      if (route.directResponse) return `it answers ${route.directResponse.status} directly instead of forwarding`;
      if (route.fault?.abort && route.fault.abort.percentage >= 100) return `it aborts every request with ${route.fault.abort.httpStatus ?? route.fault.abort.grpcStatus} (fault)`;
      const active = activeDestinations(route);
      if (active.length !== 1) return `it splits ${describeSplit(route)}`;
      return endpointProblem(graph, view, active[0]!, outcome.destination);
    }
    case 'split': {
      const actual = shares(route);
      for (const want of outcome.shares) {
        const got = actual.filter((s) => s.d.host === want.destination.host && s.d.subset === want.destination.subset);
        const share = got.reduce((s, x) => s + x.share, 0);
        if (Math.abs(share - want.percent) > EPS) return `it sends ${+share.toFixed(3)} % to ${named(want.destination)}, not ${want.percent} % (${describeSplit(route)})`;
        for (const g of got) {
          const p = endpointProblem(graph, view, g.d, want.destination);
          if (p !== null) return p;
        }
      }
      return null;
    }
    case 'abort': {
      const a = route.fault?.abort;
      if (!a) return 'it injects no abort fault';
      if (a.httpStatus !== outcome.status) return `it aborts with ${a.httpStatus ?? a.grpcStatus}, not ${outcome.status}`;
      return Math.abs(a.percentage - outcome.percent) > EPS ? `it aborts ${a.percentage} % of requests, not ${outcome.percent} %` : null;
    }
    case 'delay': {
      const d = route.fault?.delay;
      if (!d) return 'it injects no delay';
      if (d.fixedDelayMs !== outcome.delayMs) return `it delays ${d.fixedDelayMs} ms, not ${outcome.delayMs} ms`;
      return Math.abs(d.percentage - outcome.percent) > EPS ? `it delays ${d.percentage} % of requests, not ${outcome.percent} %` : null;
    }
    case 'retries': {
      const r = route.retries;
      const conditions = new Set(r.retryOn.split(',').map((s) => s.trim()));
      if (r.source === 'mesh-default' && (r.attempts !== outcome.attempts || (outcome.retryOn ?? []).some((c) => !conditions.has(c)))) {
        return `it has no retry policy: Istio's default applies (${r.attempts} attempts on ${r.retryOn}), not ${outcome.attempts} on ${(outcome.retryOn ?? []).join(',') || 'the default conditions'}`;
      }
      if (r.attempts !== outcome.attempts) return `it retries ${r.attempts} times, not ${outcome.attempts}`;
      const missing = (outcome.retryOn ?? []).filter((c) => !conditions.has(c));
      if (missing.length > 0) return `it does not retry on ${missing.join(', ')} (retryOn ${r.retryOn})`;
      if (outcome.perTryTimeoutMs !== undefined && r.perTryTimeoutMs !== outcome.perTryTimeoutMs) return `its per-try timeout is ${r.perTryTimeoutMs ?? 'the route timeout'} ms, not ${outcome.perTryTimeoutMs} ms`;
      return null;
    }
    case 'timeout':
      if (outcome.timeoutMs <= 0) return perTryProblem(route, outcome);
      if (route.timeoutMs === null) return `it has no timeout, not ${outcome.timeoutMs} ms`;
      return route.timeoutMs !== outcome.timeoutMs ? `its timeout is ${route.timeoutMs} ms, not ${outcome.timeoutMs} ms` : null;
    case 'mirror': {
      const m = route.mirrors.find((x) => x.destination.host === outcome.destination.host && x.destination.subset === outcome.destination.subset);
      if (!m) return `it mirrors ${route.mirrors.length === 0 ? 'nothing' : route.mirrors.map((x) => named(x.destination)).join(', ')}, not ${named(outcome.destination)}`;
      if (Math.abs(m.percentage - outcome.percent) > EPS) return `it mirrors ${m.percentage} %, not ${outcome.percent} %`;
      return endpointProblem(graph, view, m.destination, outcome.destination);
    }
    case 'redirect': {
      const r = route.redirect;
      if (!r) return 'it forwards instead of redirecting';
      if (r.redirectCode !== outcome.status) return `it redirects with ${r.redirectCode}, not ${outcome.status}`;
      for (const k of ['scheme', 'authority', 'uri', 'port'] as const) {
        if (outcome[k] !== undefined && r[k] !== outcome[k]) return `its redirect ${k} is ${r[k] ?? '(unchanged)'}, not ${outcome[k]}`;
      }
      return null;
    }
    case 'rewrite': {
      const r = route.rewrite;
      if (!r) return 'it forwards without a rewrite';
      if (outcome.uri !== undefined && r.uri !== outcome.uri) return `it rewrites the path to ${r.uri ?? '(unchanged)'}, not ${outcome.uri}`;
      if (outcome.authority !== undefined && r.authority !== outcome.authority) return `it rewrites the authority to ${r.authority ?? '(unchanged)'}, not ${outcome.authority}`;
      return null;
    }
    case 'status': {
      const status = route.directResponse?.status ?? route.redirect?.redirectCode ?? (route.fault?.abort && route.fault.abort.percentage >= 100 ? route.fault.abort.httpStatus : undefined);
      if (status === undefined) return null;
      return status !== outcome.status ? `it answers ${status}, not ${outcome.status}` : null;
    }
    default:
      return `a ${outcome.kind} promise is not judged per route`;
  }
}

/**
 * The refusal traffic for `e` will meet at its destination's sidecars, as the config foresees it
 * (the route the request selects, `routeRefusal`); null when none (or no route is selected).
 */
export function foreseenRefusal(graph: MeshGraph, e: Expectation, others: readonly Expectation[]): Refusal | null {
  if (!e.request || (e.outcome.kind !== 'reaches' && e.outcome.kind !== 'split')) return null;
  const view = viewFor(graph, e.request.via);
  if (typeof view === 'string') return null;
  const routes = hostRoutesFor(view, e.request);
  if (typeof routes === 'string') return null;
  const selected = selectRoute(routes, e.request);
  // A route that goes elsewhere breaks the promise on its own; what refuses there is not this destination's policy.
  if (!selected || judgeRoute(graph, view, selected.route, e.outcome) !== null) return null;
  return routeRefusal(graph, e as Expectation & { request: RequestSpec }, selected.route, others, selected.matchIndex);
}

/**
 * The largest share (0..1] of the split of the route `request` takes (1 for a single destination,
 * or when no route is known): what a burst through the route must be sized for to load one cluster.
 */
export function largestRouteShare(graph: MeshGraph, request: RequestSpec): number {
  const view = viewFor(graph, request.via);
  const routes = typeof view === 'string' ? view : hostRoutesFor(view, request);
  const selected = typeof routes === 'string' ? null : selectRoute(routes, request);
  const split = selected ? shares(selected.route) : [];
  return split.length === 0 ? 1 : Math.max(...split.map((s) => s.share)) / 100;
}
