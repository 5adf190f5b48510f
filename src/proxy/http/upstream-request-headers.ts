/**
 * The request headers an upstream attempt sends (Envoy's router and HCM request header handling),
 * built per attempt from the downstream request and the route decision.
 */
import { applyHeaderMutations, removeAll } from '../header-mutation.js';
import { ATTEMPT_COUNT_HEADER } from '../policy/retry.js';
import type { ForwardDecision } from '../route-select.js';
import { type DownstreamRequest, upstreamHeaders } from './downstream.js';
import type { Exchange, UpstreamHost } from './pipeline.js';
import { generateRequestId } from './request-id.js';

/** What the core's exchange (request-handler.ts) adds to {@link Exchange} that these headers read and record. */
interface CoreExchange extends Exchange {
  readonly req: DownstreamRequest;
  /** The x-request-id generated for this request (kept for the access log). */
  requestId: string | undefined;
  /** `:path` before a rewrite (the access log prints it). */
  originalPath: string | undefined;
}

/**
 * The upstream request headers for a forward decision: downstream headers without hop-by-hop ones,
 * `host` (rewritten when the route says so), x-forwarded-proto, the HTTP filters' edits (ext_authz),
 * x-request-id (generated when absent), x-envoy-original-path when the path was rewritten, then the route's header operations.
 */
export function buildUpstreamHeaders(ex: Exchange, d: ForwardDecision, host: UpstreamHost): string[] {
  const authority = d.authority ?? (d.autoHostRewrite && host.hostname ? host.hostname : ex.authority);
  const req = (ex as CoreExchange).req;
  const h = upstreamHeaders(req.rawHeaders, authority);
  h.push('x-forwarded-proto', ex.scheme);
  if (ex.requestHeaderEdits) applyFilterEdits(h, ex.requestHeaderEdits);
  if (ex.headers['x-request-id'] === undefined) {
    const hx = ex as CoreExchange;
    const id = hx.requestId ??= generateRequestId();
    h.push('x-request-id', id);
  }
  if (d.path !== ex.path) {
    (ex as CoreExchange).originalPath = ex.path;
    h.push('x-envoy-original-path', ex.path);
  }
  if (d.requestHeaders.length > 0) applyHeaderMutations(h, d.requestHeaders);
  const n = ex.attemptCount;
  if (n !== undefined) {
    removeAll(h, ATTEMPT_COUNT_HEADER);
    h.push(ATTEMPT_COUNT_HEADER, n < ATTEMPT_COUNTS.length ? ATTEMPT_COUNTS[n]! : String(n));
  }
  return h;
}

/** A filter's request header edits (see `Exchange.requestHeaderEdits`): `set` replaces every value, `add` adds one, `remove` drops all. */
function applyFilterEdits(h: string[], edits: readonly string[]): void {
  for (let i = 0; i < edits.length; i += 3) {
    const op = edits[i];
    if (op !== 'add') removeAll(h, edits[i + 1]!);
    if (op !== 'remove') h.push(edits[i + 1]!, edits[i + 2]!);
  }
}

/** `String(n)` for the attempt counts retries reach, made once. */
const ATTEMPT_COUNTS = Array.from({ length: 16 }, (_, i) => String(i));
