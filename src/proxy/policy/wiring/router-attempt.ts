/**
 * Helpers of the router interceptor that do not depend on one request's state: request body
 * buffering for replays, backoff sleeps, per-attempt and shadow views of an exchange, the HTTP/1.1
 * connection-slot queue, the response wrapper that gives resources back when the body is done, and
 * the retry outcome of a response built without copying headers when no condition reads them.
 */
import { Readable } from 'node:stream';
import type { HeaderMutation } from '../../header-mutation.js';
import type { Exchange, ResponseSink, UpstreamHost, UpstreamResponse } from '../../http/pipeline.js';
import { ON_ABORT, PIPED, UpstreamError } from '../../http/pipeline.js';
import type { ForwardDecision } from '../../route-select.js';
import type { HeaderBag } from '../../route-match.js';
import { OVERFLOW_REPLY } from '../circuit-breaker.js';
import { RetryOn, type AttemptOutcome, type CompiledRetryPolicy } from '../retry.js';
import { markShadow, SHADOW, type ClusterPolicy } from './cluster-state.js';

/** Envoy's default `per_request_buffer_limit_bytes` for retries and shadows is the listener buffer (1 MiB). */
const BUFFER_LIMIT = 1024 * 1024;

/** 503 `UO` with `x-envoy-overloaded: true`, as Envoy's circuit breakers answer. */
export const overflow = () => new UpstreamError('UO', OVERFLOW_REPLY.status, OVERFLOW_REPLY.body, undefined, ['x-envoy-overloaded', 'true']);

/** Resolves after `ms`, early (rejecting) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal.reason); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Reads a streamed request body so attempts and shadows can replay it. Over the limit, the body is
 * handed on as a stream of what was read plus the rest, and the result is false (Envoy: no retry then).
 */
export async function bufferBody(ex: Exchange): Promise<boolean> {
  const b = ex.body;
  if (b === null || Buffer.isBuffer(b)) return true;
  const chunks: Buffer[] = [];
  let size = 0;
  const it = b[Symbol.asyncIterator]();
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    chunks.push(c);
    size += c.length;
    if (size > BUFFER_LIMIT) {
      ex.body = Readable.from((async function* () { yield* chunks; for (let n = await it.next(); !n.done; n = await it.next()) yield n.value as Buffer; })());
      return false;
    }
  }
  ex.body = Buffer.concat(chunks);
  return true;
}

/** A view of `ex` for one attempt with its own abort signal (the exchange's ON_ABORT hidden); writes go to the exchange. */
export function withSignal(ex: Exchange, signal: AbortSignal): Exchange {
  return new Proxy(ex, { get: (t, p) => (p === 'signal' ? signal : p === ON_ABORT ? undefined : Reflect.get(t, p, t)) });
}

/** A detached copy for a mirror: own signal and state, writes kept to itself. */
export function shadowOf(ex: Exchange, signal: AbortSignal): Exchange {
  const own: Record<string | symbol, unknown> = { signal, state: new Map([[SHADOW, true]]), flags: [], [ON_ABORT]: undefined, retryState: undefined, hashResult: undefined, attemptCount: undefined };
  const copy = new Proxy(ex, {
    get: (t, p) => (p in own ? own[p] : Reflect.get(t, p, t)),
    set: (_t, p, v) => { own[p] = v; return true; },
  });
  markShadow(copy);
  return copy;
}

/** Envoy maps a gRPC status in a 2xx trailers-only response to an HTTP code for outlier detection. */
export function outlierStatus(r: UpstreamResponse): number {
  if (r.status >= 500) return r.status;
  for (let i = 0; i < r.headers.length; i += 2) {
    if (r.headers[i] === 'grpc-status') {
      const g = Number(r.headers[i + 1]);
      return g === 14 ? 503 : g === 4 ? 504 : g === 12 ? 501 : g === 13 || g === 2 || g === 15 ? 500 : r.status;
    }
  }
  return r.status;
}

const NO_HEADERS: HeaderBag = Object.freeze({});

/**
 * A response as the retry policy sees it. Without `retriable-headers`, `wouldRetry` reads only
 * `x-envoy-overloaded`, `x-envoy-ratelimited` and `grpc-status`: when none is present the bag is a
 * shared empty one instead of a copy of every header.
 */
export function responseOutcome(policy: CompiledRetryPolicy, status: number, flat: readonly string[]): AttemptOutcome {
  let copy = (policy.retryOn & RetryOn.RETRIABLE_HEADERS) !== 0 && policy.retriableHeaders.length > 0;
  for (let i = 0; !copy && i < flat.length; i += 2) {
    const n = flat[i]!;
    copy = n === 'grpc-status' || n === 'x-envoy-overloaded' || n === 'x-envoy-ratelimited';
  }
  if (!copy) return { status, headers: NO_HEADERS };
  const headers: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i]!] = flat[i + 1]!;
  return { status, headers };
}

/**
 * Takes an HTTP/1.1 connection slot of the cluster (`max_connections`). True when one was free;
 * false when the request must wait in the pending queue (its place is already taken); throws `UO`
 * when the pending queue is full too (`max_pending_requests`).
 */
export function tryConnectionSlot(cp: ClusterPolicy): boolean {
  if (cp.breaker.connections.tryAcquire()) return true;
  if (!cp.breaker.pending.tryAcquire()) throw overflow();
  return false;
}

/** Waits in the pending queue for a slot (the place taken by {@link tryConnectionSlot}); rejects when `signal` aborts. */
export async function waitConnectionSlot(cp: ClusterPolicy, signal: AbortSignal): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      const wake = () => { signal.removeEventListener('abort', onAbort); resolve(); };
      const onAbort = () => { const i = cp.waiters.indexOf(wake); if (i >= 0) cp.waiters.splice(i, 1); reject(signal.reason); };
      cp.waiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  } finally {
    cp.breaker.pending.release();
  }
}

/** Gives a connection slot back: to the first waiter in the pending queue, else to the breaker. */
export function releaseConnectionSlot(cp: ClusterPolicy): void {
  const next = cp.waiters.shift();
  if (next) next(); else cp.breaker.connections.release();
}

/**
 * The upstream response handed downstream, releasing the request's `max_requests` place and, for
 * HTTP/1.1, its connection slot once when the body ends, fails or is thrown away.
 */
export class ReleasingResponse implements UpstreamResponse {
  readonly status: number;
  readonly headers: string[];
  readonly host: UpstreamHost;
  private held: boolean;

  constructor(private readonly inner: UpstreamResponse, private readonly cp: ClusterPolicy, private readonly request: boolean, private readonly slot: boolean) {
    this.status = inner.status;
    this.headers = inner.headers;
    this.host = inner.host;
    this.held = request || slot;
  }

  pipe(sink: ResponseSink): Promise<void> {
    const p = this.inner.pipe(sink);
    if (p === PIPED) this.release();
    else if (this.held) p.then(() => this.release(), () => this.release());
    return p;
  }

  dump(): void {
    this.inner.dump();
    this.release();
  }

  /** Gives the resources back once (a method, not a closure per response: most responses are complete when piped). */
  private release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.slot) releaseConnectionSlot(this.cp);
    if (this.request) this.cp.breaker.requests.release();
  }
}
