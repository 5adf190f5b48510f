/**
 * One HTTP/1.1 attempt to an upstream host through its keep-alive connection pool: our own
 * {@link H1Pool} for plaintext hosts, an undici `Pool` for TLS ones, both driven through undici's
 * low-level dispatch handler shape: no Readable, no promise per chunk. The response body flows to
 * the sink with backpressure (onData returns false until the sink drains).
 */
import type { Readable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import type { ClusterStats } from '../admin/stats.js';
import { H1Pool } from './h1-pool.js';
import { type Exchange, ON_ABORT, PIPED, type ResponseSink, UpstreamError, type UpstreamHost, type UpstreamResponse } from './pipeline.js';
import { classifyUpstreamError } from './upstream-errors.js';

/** Response headers never forwarded (hop-by-hop, RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings']);

const text = (b: Buffer | string) => (typeof b === 'string' ? b : b.toString('latin1'));

/** Converts raw response headers (undici's buffers or the parser's strings) to a flat lower-case-name list without hop-by-hop headers. */
function responseHeaders(raw: readonly (Buffer | string)[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = text(raw[i]!).toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    out.push(name, text(raw[i + 1]!));
  }
  return out;
}

class Http1Attempt implements Dispatcher.DispatchHandlers, UpstreamResponse {
  status = 0;
  headers: string[] = [];
  private abortFn: ((err?: Error) => void) | undefined;
  private resolve!: (r: UpstreamResponse) => void;
  private reject!: (e: Error) => void;
  readonly promise: Promise<UpstreamResponse>;
  private sink: ResponseSink | undefined;
  private pending: Buffer[] | undefined;
  private done: { trailers: string[] } | undefined;
  private failed: Error | undefined;
  private pipeResolve: (() => void) | undefined;
  private pipeReject: ((e: Error) => void) | undefined;
  private resume: (() => void) | undefined;
  private started = false;
  /**
   * Our pool's attempts hand the response on when the read that carried its head is parsed (or the
   * response completed), not at the head: a small body read with its head is then complete when
   * the router pipes it (one downstream write, no promise), as the parser's body callback would
   * otherwise run the router's microtasks between the head and the rest of that read.
   */
  private readonly deferHead: boolean;
  private headPending = false;

  constructor(
    readonly host: UpstreamHost, private readonly stats: ClusterStats, private onSettled: (() => void) | undefined, pool: Pool | H1Pool,
    private holdsActive: boolean,
  ) {
    this.promise = new Promise((res, rej) => { this.resolve = res; this.reject = rej; });
    this.deferHead = pool instanceof H1Pool;
  }

  abort(err: Error): void {
    if (this.abortFn) this.abortFn(err);
    else this.onError(err);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
  }

  onHeaders(statusCode: number, rawHeaders: (Buffer | string)[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.started = true;
    this.status = statusCode;
    this.headers = responseHeaders(rawHeaders);
    this.resume = resume;
    if (this.deferHead) this.headPending = true;
    else this.deliver();
    return true;
  }

  /** Resolves the attempt with this response. */
  private deliver(): void {
    this.headPending = false;
    this.settle();
    this.resolve(this);
  }

  /** The attempt ends before it was sent (the exchange had aborted): its settlement now. */
  settleNow(): void {
    this.settle();
  }

  /** H1Pool: the read that carried the head (and maybe more) is parsed. */
  onReadEnd(): void {
    if (this.headPending) this.deliver();
  }

  /** Calls `onSettled` (and gives the active counters back) once, when the attempt resolves or rejects. */
  private settle(): void {
    if (this.holdsActive) { this.holdsActive = false; this.stats.upstream_rq_active--; this.host.active--; }
    const f = this.onSettled;
    if (f) { this.onSettled = undefined; f(); }
  }

  onData(chunk: Buffer): boolean {
    if (this.sink) return this.sink.write(chunk);
    (this.pending ??= []).push(chunk);
    return true;
  }

  onComplete(trailers: string[] | null): void {
    const t = trailers ?? [];
    if (this.sink) { this.sink.end(t); this.pipeResolve!(); } else this.done = { trailers: t };
    if (this.headPending) this.deliver();
  }

  onError(err: Error): void {
    if (!this.started) {
      this.settle();
      this.reject(err instanceof UpstreamError ? err : classifyUpstreamError(err, this.host, this.stats));
      return;
    }
    if (this.pipeReject) this.pipeReject(err);
    else this.failed = err;
    if (this.headPending) this.deliver();
  }

  pipe(sink: ResponseSink): Promise<void> {
    this.sink = sink;
    if (this.pending) {
      for (const c of this.pending) sink.write(c);
      this.pending = undefined;
    }
    if (this.failed) return Promise.reject(this.failed);
    // A small response is usually complete by now (head and body in one read): no promise to make.
    if (this.done) { sink.end(this.done.trailers); return PIPED; }
    sink.onDrain(() => this.resume?.());
    return new Promise((resolve, reject) => {
      this.pipeResolve = resolve;
      this.pipeReject = reject;
    });
  }

  dump(): void {
    this.sink = { write: () => true, end: () => {}, onDrain: () => {} };
    this.pending = undefined;
    if (!this.done && !this.failed) this.abort(new Error('response discarded'));
  }
}

/**
 * Dispatches one request. `headers` is the flat upstream header list (hop-by-hop removed, `host` set).
 * Resolves at response headers (through our pool: once the read that carried them is parsed, see
 * Http1Attempt's deferHead); rejects with UpstreamError (UF / UC / UPE). The abort of `abortOn`
 * (its ON_ABORT subscription when it offers one, else its signal) aborts it. `onSettled` is called
 * once, synchronously, just before the returned promise resolves or rejects; with `holdsActive` the
 * caller counted the request in `stats.upstream_rq_active` and `host.active`, and the attempt takes
 * both back at that moment (no closure per request for it).
 */
export function forwardHttp1(
  pool: Pool | H1Pool, host: UpstreamHost, stats: ClusterStats, method: string, path: string, headers: string[], body: Readable | Buffer | null, abortOn: Exchange,
  onSettled?: () => void, holdsActive = false,
): Promise<UpstreamResponse> {
  const attempt = new Http1Attempt(host, stats, onSettled, pool, holdsActive);
  const subscribe = abortOn[ON_ABORT];
  if (subscribe !== undefined) {
    if (!subscribe.call(abortOn, (reason) => attempt.abort(reason as Error))) { attempt.settleNow(); return Promise.reject(abortOn.signal.reason as Error); }
  } else {
    const signal = abortOn.signal;
    if (signal.aborted) { attempt.settleNow(); return Promise.reject(signal.reason as Error); }
    signal.addEventListener('abort', () => attempt.abort(signal.reason as Error), { once: true });
  }
  if (pool instanceof H1Pool) pool.dispatch({ path, method, headers, body }, attempt);
  else pool.dispatch({ path, method: method as Dispatcher.HttpMethod, headers, body, headersTimeout: 0, bodyTimeout: 0, idempotent: body === null }, attempt);
  return attempt.promise;
}
