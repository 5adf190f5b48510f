/**
 * Route tests in the YAML format of getyourguide/istio-config-validator, read unchanged:
 *
 * ```yaml
 * testCases:
 *   - description: happy path users
 *     wantMatch: true
 *     request: { authority: [example.com], method: [GET], uri: [/users], headers: { x-user-id: abc } }
 *     route: [{ destination: { host: users.users.svc.cluster.local, subset: v1 } }]
 * ```
 *
 * Each case unfolds into one request per authority × method × uri (the query string dropped, as
 * the validator does) and becomes expectations: `route` (one destination: reaches; several: the
 * weighted split), `redirect`, `rewrite`, `fault` (abort, delay). `wantMatch` is false unless
 * written (Go's zero value, as in the validator): then the route must *not* be what the case says.
 * `headers` and `delegate` assertions are reported as not supported. Destinations compare by
 * resolved host and subset, not by the text as written (the validator compares the YAML objects).
 * Whether a request goes through a sidecar or a gateway follows the VirtualService that names the
 * authority: the first of its `gateways` other than `mesh`, if any.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { MeshGraph } from '../../mesh/graph.js';
import { describeRequest } from './describe.js';
import type { DestinationSpec, Expectation, Outcome, RequestSpec, RequestVia } from './types.js';

/** A route-test file that cannot be used, with file:line and what to write instead. */
export class RouteTestError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'RouteTestError';
  }
}

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined);

/** Reads one route-test file (`display` names it in expectations and errors). */
export function loadRouteTests(file: string, graph: MeshGraph, display = file): { expectations: Expectation[]; notes: string[] } {
  const text = readFileSync(file, 'utf8');
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new RouteTestError(display, counter.linePos(e.pos[0]).line, `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const cases = doc.get('testCases', true);
  if (!isSeq(cases)) throw new RouteTestError(display, 1, 'expected a top-level testCases: list (the istio-config-validator format)');
  const out: Expectation[] = [];
  const notes: string[] = [];
  cases.items.forEach((node, i) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const line = range ? counter.linePos(range[0]).line : 1;
    const c = rec(isMap(node) ? node.toJSON() : undefined);
    const request = rec(c.request);
    const description = typeof c.description === 'string' ? c.description : `testCases[${i}]`;
    for (const key of ['authority', 'method', 'uri'] as const) {
      const list = strings(request[key]);
      if (list === undefined || list.length === 0) throw new RouteTestError(display, line, `testCases[${i}] ("${description}"): request.${key} must be a non-empty list of strings, e.g. ${key}: [${key === 'method' ? 'GET' : key === 'uri' ? '/' : 'example.com'}]`);
    }
    for (const k of ['headers', 'delegate'] as const) if (c[k] !== undefined) notes.push(`${display}:${line}: testCases[${i}] ("${description}"): ${k} assertions are not supported and were not checked`);
    const wantMatch = c.wantMatch === true;
    const outcomes = outcomesOf(c, graph, display, line, i, namespaceOf(graph, strings(request.authority)?.[0] ?? ''));
    if (outcomes.length === 0) throw new RouteTestError(display, line, `testCases[${i}] ("${description}"): nothing to assert; give route, redirect, rewrite or fault`);
    const headers = Object.fromEntries(Object.entries(rec(request.headers)).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const claim = Object.keys(headers).find((k) => k.startsWith('@request.auth.claims'));
    if (claim !== undefined) {
      throw new RouteTestError(display, line, `testCases[${i}] ("${description}"): request.headers.${claim} is a JWT claim, not a header: istiod routes on it through the jwt_authn filter's payload, which meshproof's proxy does not produce (no RequestAuthentication/JWT verification), so no request can carry it and the case cannot be proven. Test the claim route against a real Envoy with a signed token, or drop the case`);
    }
    let n = 0;
    for (const authority of strings(request.authority)!) for (const method of strings(request.method)!) for (const uri of strings(request.uri)!) {
      const via = viaFor(graph, authority);
      // A sidecar's request names the service as its VirtualService resolves the host (`reviews` in
      // shop: reviews.shop.svc.cluster.local), on the authority's port, else the service's HTTP port.
      const port = portOf(authority);
      const host = via.kind === 'mesh' ? graph.resolveHost(hostOf(authority), via.namespace).fqdn : hostOf(authority);
      const spec: RequestSpec = { host, ...(via.kind === 'mesh' && port !== undefined ? { port } : {}), path: new URL(uri, 'http://x').pathname, method, headers, via };
      for (const [kind, outcome, words] of wantMatch ? outcomes : outcomes.slice(0, 1)) {
        out.push({
          id: `${display}#${i}.${n}.${kind}`,
          promise: `${description}: ${describeRequest(spec)} ${wantMatch ? words : `must not: ${words}`}`,
          source: { constructPath: `${display} testCases[${i}]`, file: display, line },
          request: spec, outcome, ...(wantMatch ? {} : { wantMatch: false }),
        });
      }
      n++;
    }
  });
  return { expectations: out, notes };
}

/**
 * The namespace short destination hosts of a case resolve in, as istiod resolves a VirtualService's
 * `destination.host`: the namespace of the VirtualService naming the authority; else the authority's
 * own (`<svc>.<ns>.svc.…`); else `default`.
 */
function namespaceOf(graph: MeshGraph, authority: string): string {
  const host = hostOf(authority);
  const vs = graph.ofKind('VirtualService').find((v) => (strings(v.spec.hosts) ?? []).includes(host));
  return vs?.namespace ?? /^[^.]+\.([^.]+)\.svc\./.exec(host)?.[1] ?? 'default';
}

/** An authority without its `:port` (`reviews:9080` → `reviews`; `[::1]:80` → `[::1]`). */
function hostOf(authority: string): string {
  return /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(authority)?.[1] ?? authority;
}

/** The port of an authority (`reviews:9080` → 9080), or undefined. */
function portOf(authority: string): number | undefined {
  const m = /:(\d+)$/.exec(authority);
  return m && hostOf(authority) !== authority ? Number(m[1]) : undefined;
}

/** The proxy that sends requests for `authority`: the gateway of a VirtualService naming it, else a sidecar. */
function viaFor(graph: MeshGraph, authority: string): RequestVia {
  const host = hostOf(authority);
  for (const vs of graph.ofKind('VirtualService')) {
    const hosts = strings(vs.spec.hosts) ?? [];
    if (!hosts.includes(host)) continue;
    const gateway = (strings(vs.spec.gateways) ?? []).find((g) => g !== 'mesh');
    if (gateway === undefined) return { kind: 'mesh', namespace: vs.namespace };
    const ref = gateway.includes('/') ? gateway : `${vs.namespace}/${gateway}`;
    const [ns, name] = ref.split('/');
    const servers = (graph.get('Gateway', ns!, name!)?.spec.servers ?? []) as Raw[];
    const server = servers.find((s) => rec(s.tls).httpsRedirect !== true) ?? servers[0];
    return { kind: 'gateway', gateway: ref, port: Number(rec(rec(server).port).number ?? 80) };
  }
  const ns = /^[^.]+\.([^.]+)\.svc\./.exec(host)?.[1] ?? 'default';
  return { kind: 'mesh', namespace: ns };
}

function outcomesOf(c: Raw, graph: MeshGraph, file: string, line: number, i: number, namespace: string): [string, Outcome, string][] {
  const out: [string, Outcome, string][] = [];
  const fqdn = (host: string) => graph.resolveHost(host, namespace).fqdn;
  // The pod labels of the DestinationRule subset (as the static judgement resolves it), so traffic
  // landing on another version of the host does not count towards this destination.
  const spec = (x: { d: Raw }): DestinationSpec => {
    const host = fqdn(x.d.host as string);
    if (typeof x.d.subset !== 'string') return { host };
    const labels = graph.subsetsOf(host, namespace).find((s) => s.name === x.d.subset)?.labels;
    return { host, subset: x.d.subset, ...(labels !== undefined ? { labels: { ...labels } } : {}) };
  };
  const named = (x: { d: Raw }) => { const d = spec(x); return `${d.host}${d.subset !== undefined ? ` ${d.subset}` : ''}`; };
  if (Array.isArray(c.route)) {
    const dests = c.route.map((r) => rec(r)).map((r) => ({ d: rec(r.destination), weight: typeof r.weight === 'number' ? r.weight : undefined }));
    if (dests.some((x) => typeof x.d.host !== 'string')) throw new RouteTestError(file, line, `testCases[${i}]: every route entry needs destination.host`);
    if (dests.length === 1) out.push(['route', { kind: 'reaches', destination: spec(dests[0]!) }, `reaches ${named(dests[0]!)}`]);
    else if (dests.length > 1) {
      const total = dests.reduce((s, x) => s + (x.weight ?? 0), 0) || 100;
      out.push(['route', { kind: 'split', shares: dests.map((x) => ({ destination: spec(x), percent: ((x.weight ?? 0) * 100) / total })) }, `splits ${dests.map((x) => `${x.weight ?? 0} to ${named(x)}`).join(', ')}`]);
    }
  }
  if (c.redirect !== undefined) {
    const r = rec(c.redirect);
    out.push(['redirect', {
      kind: 'redirect', status: typeof r.redirectCode === 'number' ? r.redirectCode : 301,
      ...(typeof r.uri === 'string' ? { uri: r.uri } : {}), ...(typeof r.authority === 'string' ? { authority: r.authority } : {}),
      ...(typeof r.scheme === 'string' ? { scheme: r.scheme } : {}),
    }, `redirects${typeof r.uri === 'string' ? ` to ${r.uri}` : ''}`]);
  }
  if (c.rewrite !== undefined) {
    const r = rec(c.rewrite);
    out.push(['rewrite', { kind: 'rewrite', ...(typeof r.uri === 'string' ? { uri: r.uri } : {}), ...(typeof r.authority === 'string' ? { authority: r.authority } : {}) }, `is rewritten${typeof r.uri === 'string' ? ` to ${r.uri}` : ''}`]);
  }
  const fault = rec(c.fault);
  // istiod's TranslateFault: `percentage.value` (empty: 0), else `percent`, else 0 (no fault injected).
  const pct = (x: Raw) => (x.percentage !== undefined ? (typeof rec(x.percentage).value === 'number' ? rec(x.percentage).value as number : 0) : typeof x.percent === 'number' ? x.percent : 0);
  if (c.fault !== undefined && fault.abort !== undefined) {
    const a = rec(fault.abort);
    out.push(['abort', { kind: 'abort', status: Number(a.httpStatus), percent: pct(a) }, `is aborted ${String(a.httpStatus)} for ${pct(a)} %`]);
  }
  if (c.fault !== undefined && fault.delay !== undefined) {
    const d = rec(fault.delay);
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(d.fixedDelay ?? ''));
    if (!m) throw new RouteTestError(file, line, `testCases[${i}]: fault.delay.fixedDelay must be a duration such as 5s or 250ms, got ${JSON.stringify(d.fixedDelay)}`);
    const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[m[2]!]!;
    out.push(['delay', { kind: 'delay', delayMs: ms, percent: pct(d) }, `is delayed ${ms} ms for ${pct(d)} %`]);
  }
  return out;
}
