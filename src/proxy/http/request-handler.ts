/**
 * The HTTP connection manager and router for one request: route selection, the listener's HTTP
 * filters, then the router (404 NR, redirect, direct response, CORS preflight, or forwarding through
 * the route's Forward chain to the cluster), the response back with the route's header operations,
 * stats and one access-log entry. See pipeline.ts for the order and the extension points.
 */
import { peerSpiffeId } from '../tls/peer.js';
import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { AccessLog } from '../access-log.js';
import type { ClusterStats, HttpStats, StatsStore } from '../admin/stats.js';
import type { CompiledHcm } from '../config/listener-config.js';
import { applyHeaderMutations, removeAll } from '../header-mutation.js';
import { normalizeRequestPath } from '../path-normalize.js';
import type { HeaderBag } from '../route-match.js';
import { type CompiledRouteTable, type ForwardDecision, type RouteDecision, selectRoute } from '../route-select.js';
import type { ClusterManager } from './cluster-manager.js';
import { type DownstreamRequest, type DownstreamResponse, RAW_SOCKET, TLS_SOCKET, bodyBytesReceived, requestBody, responseSink, sendLocalReply, writeHead } from './downstream.js';
import type { DownstreamInfo, Exchange, LocalReply, ResponseFlag, UpstreamAlpn, UpstreamHost, UpstreamResponse } from './pipeline.js';
import { ON_ABORT, PIPED, UpstreamError } from './pipeline.js';
import type { ForwardChains } from './forward.js';
import { fragmentReply, http1CodecChecks } from './http1-codec.js';
import { requestIncomplete, upgradeReply } from './http1-hcm.js';
import { armDeadline, type DeadlineOwner, disarmDeadline } from './route-deadlines.js';
import { generateRequestId } from './request-id.js';
import { responseCodeDetailsOf } from './upstream-errors.js';

/** What a request handler needs from the proxy (one per proxy). */
export interface HandlerEnv {
  readonly stats: StatsStore;
  readonly clusters: ClusterManager;
  readonly accessLog: AccessLog | undefined;
  readonly random: () => number;
  /** The compiled route table of an RDS name, or undefined before it arrived. */
  routes(name: string): CompiledRouteTable | undefined;
  readonly forwards: ForwardChains;
  /** True while draining: HTTP/1.1 responses carry `connection: close`. */
  draining(): boolean;
}

/** Per listener and HCM. */
export interface HcmContext {
  readonly listenerName: string;
  readonly hcm: CompiledHcm;
  readonly stats: HttpStats;
  readonly localPort: number;
}

const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;

/** Downstream facts per connection, computed on its first request (keep-alive connections reuse them). */
const connections = new WeakMap<Socket, DownstreamInfo>();

class HttpExchange implements Exchange, DeadlineOwner {
  decision: RouteDecision | undefined = undefined;
  clusterName = '';
  readonly flags: ResponseFlag[] = [];
  details = '';
  body: Readable | Buffer | null;
  upstreamHost: UpstreamHost | undefined = undefined;
  attempts = 0;
  /** Made when `signal` is first read: most requests never need one (see ON_ABORT). */
  private controller: AbortController | undefined = undefined;
  private abortHooks: ((reason: unknown) => void)[] | undefined = undefined;
  /** Set once by {@link abort}. */
  aborted = false;
  abortReason: unknown = undefined;
  private stateMap: Map<symbol, unknown> | undefined = undefined;
  retryState: unknown = undefined;
  hashResult: unknown = undefined;
  upstreamAlpn: UpstreamAlpn | undefined = undefined;
  dynamicMetadata: Record<string, Record<string, unknown>> | undefined = undefined;
  requestHeaderEdits: string[] | undefined = undefined;
  responseHeadersToAdd: string[] | undefined = undefined;
  attemptCount: number | undefined = undefined;
  /** The x-request-id the core generated (none when the client sent one). */
  requestId: string | undefined = undefined;
  readonly startMs = Date.now();
  readonly start = performance.now();
  bytesSent = 0;
  status = 0;
  upstreamMs: number | undefined = undefined;
  finished = false;
  originalPath: string | undefined = undefined;
  // The route timeout (route-deadlines.ts): counted on this cluster's stats when it fires.
  deadlineAt = 0;
  deadlinePrev: DeadlineOwner | undefined = undefined;
  deadlineNext: DeadlineOwner | undefined = undefined;
  deadlineTimer: NodeJS.Timeout | undefined = undefined;
  deadlineArmed = false;
  timeoutStats: ClusterStats | undefined = undefined;

  constructor(
    readonly req: DownstreamRequest, readonly res: DownstreamResponse, readonly downstream: DownstreamInfo,
    readonly method: string, readonly path: string, readonly authority: string, readonly scheme: string, readonly headers: HeaderBag,
  ) {
    this.body = requestBody(req);
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Aborts the exchange once: its signal (when made) and the ON_ABORT subscribers. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
    const hooks = this.abortHooks;
    this.abortHooks = undefined;
    if (hooks) for (const h of hooks) h(reason);
  }

  [ON_ABORT](onAbort: (reason: unknown) => void): boolean {
    if (this.aborted) return false;
    (this.abortHooks ??= []).push(onAbort);
    return true;
  }

  /** The route timeout passed: Envoy's router answers 504 UT (upstream_rq_timeout). */
  onDeadline(): void {
    if (this.timeoutStats) this.timeoutStats.upstream_rq_timeout++;
    this.abort(new UpstreamError('UT', 504, 'upstream request timeout'));
  }

  /** Created on first use: most requests never need unit state. */
  get state(): Map<symbol, unknown> {
    return (this.stateMap ??= new Map());
  }
}

function stripPort(authority: string, mode: CompiledHcm['stripPort'], localPort: number): string {
  if (mode === 'none') return authority;
  const i = authority.lastIndexOf(':');
  if (i < 0 || authority.endsWith(']')) return authority;
  if (mode === 'matching' && authority.slice(i + 1) !== String(localPort)) return authority;
  return authority.slice(0, i);
}

/** Handles one request end to end. Never throws: every failure becomes a local reply or a reset. */
export function handleRequest(env: HandlerEnv, ctx: HcmContext, req: DownstreamRequest, res: DownstreamResponse): void {
  const socket = req.socket;
  const rawSocket = (socket as unknown as Record<symbol, Socket | undefined>)[RAW_SOCKET] ?? socket;
  const h2 = 'stream' in req;
  // Envoy's HTTP/1.1 codec: transfer codings, absolute-form target (rewrites url and host), HTTP/1.0.
  const codecReply = h2 ? undefined : http1CodecChecks(req, ctx.hcm.source.httpProtocolOptions);
  const headers = req.headers as HeaderBag;
  const rawAuthority = (h2 ? (headers[':authority'] as string | undefined) : undefined) ?? (headers.host as string | undefined) ?? '';
  const tlsSocket = (socket as unknown as Record<symbol, TLSSocket | undefined>)[TLS_SOCKET] ?? ((socket as TLSSocket).encrypted ? socket as TLSSocket : undefined);
  const scheme = tlsSocket ? 'https' : 'http';
  let downstream = connections.get(rawSocket);
  const protocol = h2 ? 'HTTP/2' : req.httpVersion === '1.1' ? 'HTTP/1.1' : `HTTP/${req.httpVersion}`;
  if (downstream === undefined || downstream.protocol !== protocol || downstream.listener !== ctx.listenerName) {
    downstream = {
      remoteAddress: rawSocket.remoteAddress ?? '', remotePort: rawSocket.remotePort ?? 0, localAddress: rawSocket.localAddress ?? '', localPort: rawSocket.localPort ?? 0,
      listener: ctx.listenerName, protocol, tls: tlsSocket,
    };
    connections.set(rawSocket, downstream);
  }
  const authority = stripPort(rawAuthority, ctx.hcm.stripPort, ctx.localPort);
  // The HCM's path normalization, before routing and before RBAC sees the path (Envoy's maybeNormalizePath).
  const norm = normalizeRequestPath(req.url ?? '/', ctx.hcm.pathNormalization, (headers['content-type'] as string | undefined)?.startsWith('application/grpc') === true);
  const ex = new HttpExchange(req, res, downstream, req.method ?? 'GET', norm.kind === 'reject' ? req.url ?? '/' : norm.path, authority, scheme, headers);
  const st = ctx.stats;
  st.downstream_rq_total++;
  st.downstream_rq_active++;
  if (h2) st.downstream_rq_http2_total++; else st.downstream_rq_http1_total++;
  (res as import('node:http').ServerResponse).on('close', () => onClose(env, ctx, ex));
  // The HCM generates x-request-id before any filter runs (generate_request_id, default true), so local replies log it too.
  if (headers['x-request-id'] === undefined && ctx.hcm.source.generateRequestId !== false) ex.requestId = generateRequestId();
  const rejected = codecReply ?? fragmentReply(req.url ?? '/');
  if (rejected) return localReply(env, ex, rejected);
  // Envoy's codec: more than max_headers_count headers is 431 (before the HCM looks for a Host: a
  // parser's own entry cap may have dropped it); two Host headers are a 400 (node would join them).
  // Local reply bodies as Envoy's: codec errors carry the status reason, the HCM's own checks
  // (missing host, path normalization) an empty body.
  const raw = req.rawHeaders;
  let count = 0;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.charCodeAt(0) === 58) continue; // ':' pseudo-header
    count++;
    if (n.length === 4 && n.toLowerCase() === 'host') hosts++;
  }
  if (count > ctx.hcm.maxHeadersCount) return localReply(env, ex, { status: 431, body: 'Request Header Fields Too Large', details: `${h2 ? 'http2' : 'http1'}.too_many_headers` });
  if (!h2 && hosts > 1) return localReply(env, ex, { status: 400, body: 'Bad Request', details: 'http1.duplicate_host_header' });
  if (rawAuthority === '') return localReply(env, ex, { status: 400, body: '', details: 'missing_host_header' });
  if (norm.kind === 'reject') return localReply(env, ex, { status: 400, body: '', details: norm.details });
  if (norm.kind === 'redirect') return localReply(env, ex, { status: 307, headers: ['location', norm.path], details: 'path_normalization_redirect' });
  if (!h2) {
    const refused = upgradeReply(req, ctx.hcm);
    if (refused) return localReply(env, ex, refused);
  }
  const table = ctx.hcm.inlineRoutes ?? (ctx.hcm.rds !== undefined ? env.routes(ctx.hcm.rds) : undefined);
  if (!table) {
    st.no_route++;
    return localReply(env, ex, { status: 404, flag: 'NR', details: 'route_not_found' });
  }
  try {
    ex.decision = selectRoute(table, ex, env.random);
    if (ctx.hcm.filters.length === 0) return route(env, ctx, ex);
    runFilters(env, ctx, ex, 0);
  } catch (e) {
    internalError(env, ex, e);
  }
}

/** A bug must cost one request, never the process: 500 (or a reset once the response started), details logged. */
function internalError(env: HandlerEnv, ex: HttpExchange, e: unknown): void {
  if (ex.finished) return;
  localReply(env, ex, { status: 500, body: 'internal proxy error', details: `internal_error{${(e as Error)?.message ?? String(e)}}` });
}

function runFilters(env: HandlerEnv, ctx: HcmContext, ex: HttpExchange, from: number): void {
  const filters = ctx.hcm.filters;
  for (let i = from; i < filters.length; i++) {
    let out: ReturnType<typeof filters[number]['filter']['onRequest']>;
    try {
      out = filters[i]!.filter.onRequest(ex);
    } catch (e) {
      return localReply(env, ex, { status: 500, body: 'filter error', details: `filter_error{${filters[i]!.name}: ${(e as Error).message}}` });
    }
    if (out === undefined) continue;
    if ('then' in out) {
      out.then((reply) => {
        if (ex.finished) return;
        if (reply) localReply(env, ex, reply);
        else runFilters(env, ctx, ex, i + 1);
      }, (e: Error) => localReply(env, ex, { status: 500, body: 'filter error', details: `filter_error{${filters[i]!.name}: ${e.message}}` }))
        .catch((e: unknown) => internalError(env, ex, e));
      return;
    }
    return localReply(env, ex, out);
  }
  route(env, ctx, ex);
}

function route(env: HandlerEnv, ctx: HcmContext, ex: HttpExchange): void {
  const d = ex.decision!;
  switch (d.kind) {
    case 'no-route':
      ctx.stats.no_route++;
      return localReply(env, ex, { status: 404, flag: 'NR', details: 'route_not_found' });
    case 'cors-preflight':
      return localReply(env, ex, { status: 200, headers: d.headers, details: 'cors_preflight' });
    case 'redirect': {
      ctx.stats.rq_redirect++;
      const h = ['location', d.location];
      applyHeaderMutations(h, d.responseHeaders);
      return localReply(env, ex, { status: d.status, headers: h, details: 'direct_response' });
    }
    case 'direct': {
      ctx.stats.rq_direct_response++;
      const h: string[] = [];
      applyHeaderMutations(h, d.responseHeaders);
      return localReply(env, ex, { status: d.status, body: d.body, headers: h, details: 'direct_response' });
    }
    case 'forward':
      return forward(env, ctx, ex, d);
  }
}

function clusterNotFoundStatus(d: ForwardDecision): number {
  const c = d.action.clusterNotFoundResponseCode;
  return c === 1 ? 404 : c === 2 ? 500 : 503;
}

/**
 * Sends the request through the route's Forward chain. Plain callbacks on the chain's promise (no
 * async function: its promise, the await and a `.catch` per request), with the same microtask
 * timing: the response or the error is handled one tick after the chain settles, as an `await`
 * would, and a throw from the chain before it returns is answered at once.
 */
function forward(env: HandlerEnv, ctx: HcmContext, ex: HttpExchange, d: ForwardDecision): void {
  ex.clusterName = d.cluster;
  const cluster = env.clusters.get(d.cluster);
  if (!cluster) {
    ctx.stats.no_cluster++;
    return localReply(env, ex, { status: clusterNotFoundStatus(d), flag: 'NC', details: 'cluster_not_found' });
  }
  const timeout = d.action.timeout;
  const timeoutMs = timeout === undefined ? DEFAULT_ROUTE_TIMEOUT_MS : Number(timeout.seconds) * 1000 + Math.floor(timeout.nanos / 1e6);
  const chain = env.forwards.get(d.route);
  const t0 = performance.now();
  if (timeoutMs > 0) {
    ex.timeoutStats = cluster.stats;
    armDeadline(ex, timeoutMs, t0);
  }
  let sent: Promise<UpstreamResponse>;
  try {
    sent = chain(ex, d);
  } catch (e) {
    return upstreamFailed(env, ex, e);
  }
  sent.then((response) => {
    try {
      upstreamResponded(env, ex, d, response, t0);
    } catch (e) {
      internalError(env, ex, e);
    }
  }, (e: unknown) => {
    try {
      upstreamFailed(env, ex, e);
    } catch (e2) {
      internalError(env, ex, e2);
    }
  });
}

/** The chain failed before response headers: the router's local reply (Envoy: 503 UF/UH/UO…, 504 UT). */
function upstreamFailed(env: HandlerEnv, ex: HttpExchange, e: unknown): void {
  disarmDeadline(ex);
  if (ex.finished) return;
  const err = e instanceof UpstreamError ? e : (ex.abortReason instanceof UpstreamError ? ex.abortReason : new UpstreamError('UC', 503, `upstream error: ${(e as Error).message}`));
  if (err.host) ex.upstreamHost = err.host;
  localReply(env, ex, { status: err.status, body: err.details, flag: err.flag, details: responseCodeDetailsOf(err), ...(err.headers ? { headers: err.headers } : {}) });
}

/** Response headers arrived: the route's response header operations, then head and body downstream. */
function upstreamResponded(env: HandlerEnv, ex: HttpExchange, d: ForwardDecision, response: UpstreamResponse, t0: number): void {
  ex.upstreamMs = performance.now() - t0;
  ex.upstreamHost = response.host;
  if (ex.finished) { disarmDeadline(ex); response.dump(); return; }
  const h = response.headers;
  applyHeaderMutations(h, d.responseHeaders);
  if (d.corsHeaders) h.push(...d.corsHeaders);
  // Encoder filters run after the router's own response headers (ext_authz adds its allowed ones).
  if (ex.responseHeadersToAdd) h.push(...ex.responseHeadersToAdd);
  // Set, not added, as Envoy's router: a proxy behind this one (an inbound sidecar) already sent its own.
  removeAll(h, 'x-envoy-upstream-service-time');
  h.push('x-envoy-upstream-service-time', String(Math.round(ex.upstreamMs)));
  if (!('stream' in ex.req) && (env.draining() || requestIncomplete(ex.req))) h.push('connection', 'close');
  ex.status = response.status;
  // %RESPONSE_CODE_DETAILS% of a response from the upstream (Envoy's router, onUpstreamHeaders).
  ex.details = 'via_upstream';
  try {
    writeHead(ex.res, response.status, h);
  } catch (e) {
    disarmDeadline(ex);
    response.dump();
    return localReply(env, ex, { status: 502, flag: 'UPE', body: `upstream response headers rejected: ${(e as Error).message}`, details: 'upstream_response_headers_invalid' });
  }
  let piped: Promise<void>;
  try {
    piped = response.pipe(responseSink(ex.res, ex));
  } catch (e) {
    return bodyFailed(ex, e);
  }
  if (piped === PIPED) { disarmDeadline(ex); return; }
  piped.then(() => disarmDeadline(ex), (e: unknown) => bodyFailed(ex, e));
}

/**
 * Reset after the response started: Envoy resets the downstream stream too, and logs why (the
 * router's onUpstreamReset / onResponseTimeout): the route timeout → UT `response_timeout`;
 * a response that stops parsing (`HPE_*`) → UPE `upstream_reset_after_response_started{protocol_error}`;
 * any other upstream close → UC `…{connection_termination}`. The proxy closes the downstream
 * itself, so no DC is added (onClose sees the exchange aborted with this reason); a client that
 * left first keeps its DC alone.
 */
function bodyFailed(ex: HttpExchange, e: unknown): void {
  disarmDeadline(ex);
  if (!ex.flags.includes('DC')) {
    const prior = ex.abortReason instanceof UpstreamError ? ex.abortReason : undefined;
    const code = (e as { code?: unknown } | undefined)?.code;
    const flag = prior?.flag ?? (typeof code === 'string' && code.startsWith('HPE_') ? 'UPE' : 'UC');
    ex.flags.push(flag);
    ex.details = flag === 'UT' ? (prior?.responseCodeDetails ?? 'response_timeout')
      : flag === 'DC' ? ex.details : `upstream_reset_after_response_started{${flag === 'UPE' ? 'protocol_error' : 'connection_termination'}}`;
    ex.abort(prior ?? new UpstreamError(flag, 0, ex.details));
  }
  (ex.res as import('node:http').ServerResponse).destroy();
}

/** Answers locally (status, flag, details) unless the downstream is gone. */
export function localReply(env: HandlerEnv, ex: HttpExchange, reply: LocalReply): void {
  if (reply.flag && !ex.flags.includes(reply.flag)) ex.flags.push(reply.flag);
  if (reply.details) ex.details = reply.details;
  if (ex.finished) return;
  ex.status = reply.status;
  // A filter that let the request through added response headers: local replies after it carry them too.
  if (ex.responseHeadersToAdd) reply = { ...reply, headers: [...(reply.headers ?? []), ...ex.responseHeadersToAdd] };
  const close = reply.status === 400 || reply.status === 408 || reply.status === 426 || reply.status === 431 || reply.status === 501
    || (!('stream' in ex.req) && (env.draining() || requestIncomplete(ex.req)));
  ex.bytesSent += sendLocalReply(ex.req, ex.res, reply, close);
}

function onClose(env: HandlerEnv, ctx: HcmContext, ex: HttpExchange): void {
  if (ex.finished) return;
  ex.finished = true;
  disarmDeadline(ex);
  ctx.stats.downstream_rq_active--;
  const res = ex.res;
  if (!res.writableFinished && !(ex.abortReason instanceof UpstreamError && ex.abortReason.flag !== 'DC' && ex.status !== 0)) {
    // The client went away before the response was complete (Envoy: downstream connection termination);
    // not when the proxy reset the response itself after its head (bodyFailed).
    if (!ex.flags.includes('DC')) ex.flags.push('DC');
    ctx.stats.downstream_rq_rx_reset++;
    ex.abort(new UpstreamError('DC', 0, 'downstream connection termination'));
    if (!ex.status) ex.status = 0;
  }
  ctx.stats.response(ex.status);
  if (ex.clusterName && ex.upstreamHost) {
    const cs = env.clusters.get(ex.clusterName)?.stats;
    if (cs && ex.status && ex.upstreamMs !== undefined) cs.response(ex.status);
  }
  const log = env.accessLog;
  if (!log) return;
  const h = ex.headers;
  const cl = h['content-length'];
  log.log({
    startMs: ex.startMs, method: ex.method, path: ex.originalPath ?? ex.path, protocol: ex.downstream.protocol, status: ex.status, flags: ex.flags,
    bytesReceived: typeof cl === 'string' ? Number(cl) || 0 : ex.body === null ? 0 : bodyBytesReceived(ex.req), bytesSent: ex.bytesSent, durationMs: performance.now() - ex.start,
    upstreamServiceTimeMs: ex.upstreamMs === undefined ? undefined : Math.round(ex.upstreamMs),
    xForwardedFor: h['x-forwarded-for'] as string | undefined, userAgent: h['user-agent'] as string | undefined,
    requestId: ex.requestId ?? h['x-request-id'] as string | undefined,
    authority: ex.authority, upstreamHost: ex.upstreamHost?.key, upstreamCluster: ex.clusterName || undefined, details: ex.details || undefined,
    downstreamPeerUriSan: peerSpiffeId(ex.downstream.tls),
  });
}
