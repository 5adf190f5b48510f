/**
 * The downstream HTTP/1.1 codec for plaintext connections: Node's native llhttp parser in request
 * mode (strict, as node:http runs it) on the raw `net.Socket`, feeding the request pipeline directly
 * instead of through `http.Server`. It keeps node:http's answers byte for byte (the proxy's
 * behaviour must not depend on which codec served a connection) and Envoy's serial processing:
 *
 * - Parse errors (`HPE_*`) and the `request_headers_timeout` (ERR_HTTP_REQUEST_TIMEOUT, measured
 *   from the first byte of a request's head, or from the end of the previous response when the head
 *   began during it, checked every `max(50, min(1000, timeout / 4))` ms as node:http does) go to the
 *   same `clientError` handler (client-error.ts: 400 / 408 / 431, flag DPE, connection closed).
 *   Nothing reaches a filter or an upstream before its head parsed.
 * - Requests are handled one at a time in arrival order, as Envoy's HTTP/1.1 codec (which pauses
 *   its parser after each message): a pipelined request waits until the response before it
 *   finished; reading goes on (so the peer's close is seen, as Envoy's detect_early_close) until
 *   PIPELINE_READ_AHEAD requests wait; a parse error in bytes after a request is answered after that
 *   request's response, never inside it, and never instead of it (see clientError).
 * - `Expect: 100-continue` → `100 Continue` then the request. A missing Host, another expectation
 *   and upgrades are the pipeline's (request-handler.ts: 400 missing_host_header, forwarded, 403
 *   upgrade_failed); after a non-h2c upgrade head nothing more is read (its reply closes the
 *   connection). CONNECT and the HTTP/2 preface on this codec → the connection is closed.
 * - Backpressure: a request body Readable that is not read pauses the socket; a response is
 *   written straight to the socket (the router waits for 'drain').
 * - Client half-close or disconnect: requests in flight are aborted (the pipeline logs DC); a body
 *   cut short is the parser's EOF error first, as node:http reports it.
 * - Idle connections (no request in progress) close after the HCM `idle_timeout`; `drain()` closes
 *   idle ones now and the rest after their response (`Connection: close` is added while draining).
 */
import type { Socket } from 'node:net';
import { H1RequestBody, type H1ResponseOwner, H1ServerRequest, H1ServerResponse } from './h1-server-exchange.js';
import { HTTPParser, METHODS, type NativeParser, type StreamHandle } from './native-parser.js';
import { SocketWriter } from './socket-writer.js';

/** What a connection needs from its listener and HCM. */
export interface H1ServerOptions {
  /** `max_request_headers_kb` × 1024. */
  readonly maxHeaderSize: number;
  /** `request_headers_timeout` (ms, > 0). */
  readonly headersTimeoutMs: number;
  /** HCM `common_http_protocol_options.idle_timeout` (ms); 0 disables it. */
  readonly idleTimeoutMs: number;
  /** Handles one request (the pipeline's handleRequest). */
  onRequest(req: H1ServerRequest, res: H1ServerResponse): void;
  /** node:http's 'clientError': parse errors and the headers timeout. */
  onClientError(err: NodeJS.ErrnoException, socket: Socket): void;
}

/** Envoy's HCM answers this expectation itself (proxy_100_continue false); any other is forwarded. */
const CONTINUE = /^100-continue$/i;
const H2C = /^h2c$/i;
/** node:http keeps at most this many raw header entries (its parser's maxHeaderPairs default). */
const MAX_HEADER_ENTRIES = 2000;
/**
 * Pipelined requests parsed (not served) while one is in flight before reading stops. Envoy
 * read-disables on pipelined data but keeps watching for the peer's close (`detect_early_close`);
 * Node has no such watch on a stopped handle, so the socket keeps being read (and the parser keeps
 * queueing heads) up to this many waiting requests: a FIN or RST meanwhile is seen at once and the
 * request in flight is reset (DC). Beyond it, or behind a pipelined body over the stream's 16 KiB
 * buffer, reading stops and a close is seen when reading resumes. 16 heads of at most 60 KiB keep
 * what one connection can make us hold near Envoy's per-connection buffer limit (1 MiB by default).
 */
const PIPELINE_READ_AHEAD = 16;

interface Pending { readonly req: H1ServerRequest; readonly res: H1ServerResponse }

export class H1ServerConnection implements H1ResponseOwner {
  private readonly parser: NativeParser = new HTTPParser();
  readonly writer: SocketWriter;
  /** Requests parsed and not yet finished, oldest (the one being served) first. */
  private readonly queue: Pending[] = [];
  /** The request whose head or body the parser is in. */
  private parsing: Pending | undefined;
  private headBuffer: string[] = [];
  private urlBuffer = '';
  /** performance.now() when the current request's head began; 0 when not inside a head. */
  headersStart = 0;
  /** performance.now() when the connection last became idle. */
  idleSince: number;
  private bodyPaused = false;
  private pipelinePaused = false;
  private errored = false;
  /** A parse error in bytes after requests still to be answered: replied once they are (Envoy reads the next request only then). */
  private deferredError: NodeJS.ErrnoException | undefined;
  /** The last head was an `Upgrade: h2c` request: llhttp stopped after it, the rest of that read is parsed again. */
  private h2cUpgrade = false;
  /** The socket's handle when the parser consumes it. */
  private handle: StreamHandle | undefined;
  /** A `Connection: close` response went out: no further request is served. */
  private closing = false;
  private closed = false;

  constructor(readonly socket: Socket, private readonly o: H1ServerOptions) {
    this.idleSince = performance.now();
    this.writer = new SocketWriter(socket, () => this.queue[0]?.res.emitDrain());
    const p = this.parser;
    p.initialize(HTTPParser.REQUEST, {}, o.maxHeaderSize, 0);
    p[HTTPParser.kOnMessageBegin] = () => { this.headersStart = performance.now(); };
    p[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      for (const x of headers) if (this.headBuffer.length < MAX_HEADER_ENTRIES) this.headBuffer.push(x);
      this.urlBuffer += url;
    };
    p[HTTPParser.kOnHeadersComplete] = (maj: number, min: number, headers: string[] | undefined, method: number, url: string | undefined, _s: unknown, _m: unknown, upgrade: boolean, keepAlive: boolean) =>
      this.onHeadersComplete(maj, min, headers, method, url, keepAlive, upgrade);
    p[HTTPParser.kOnBody] = (b: Buffer) => this.onBody(b);
    p[HTTPParser.kOnMessageComplete] = () => this.onMessageComplete();
    p[HTTPParser.kOnExecute] = () => {};
    // Bytes already buffered on the socket (peeked and put back) arrive as 'data'; later reads go
    // from the handle straight into the parser (node:http's consume), without a Buffer and a
    // stream event per read in JavaScript.
    socket.on('data', (d: Buffer) => this.onData(d));
    const handle = (socket as unknown as { _handle?: StreamHandle })._handle;
    if (handle?.isStreamBase && !handle._consumed && typeof p.consume === 'function') {
      handle._consumed = true;
      p.consume(handle);
      this.handle = handle;
      p[HTTPParser.kOnExecute] = (r: number | Error) => {
        if (typeof r !== 'number') this.clientError(r);
        else if (this.h2cUpgrade) this.afterUpgrade(p.getCurrentBuffer?.(), r);
      };
    }
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.queue[0]?.res.emitDrain());
    socket.once('close', () => this.onClose());
  }

  /** Inside a request head while no earlier request waits for its response: request_headers_timeout runs. */
  get readingHead(): boolean {
    return this.headersStart !== 0 && this.queue.length === 0;
  }

  /** No request in progress and no partial one buffered. */
  get idle(): boolean {
    return this.queue.length === 0 && this.parsing === undefined && this.headersStart === 0;
  }

  /** Stops reading from the socket (the consumed handle directly: the stream's pause does not reach it). */
  private pause(): void {
    const h = this.handle;
    if (h !== undefined) { if (h.reading) { h.reading = false; h.readStop(); } } else this.socket.pause();
  }

  private resume(): void {
    if (this.closed || this.errored) return;
    const h = this.handle;
    if (h !== undefined) { if (!h.reading) { h.reading = true; h.readStart(); } } else this.socket.resume();
  }

  private onData(d: Buffer): void {
    if (this.errored) return;
    const r = this.parser.execute(d);
    if (typeof r !== 'number') this.clientError(r);
    else if (this.h2cUpgrade) this.afterUpgrade(d, r);
  }

  /**
   * llhttp stops after an upgrade request's head. `Upgrade: h2c` is served as a plain request (Envoy
   * strips it), so the bytes after it are the next request: parse them. Other upgrades are refused
   * with a `connection: close` reply (request-handler.ts); what follows them is never parsed.
   */
  private afterUpgrade(buf: Buffer | undefined, parsed: number): void {
    this.h2cUpgrade = false;
    if (buf !== undefined && parsed < buf.length) this.onData(buf.subarray(parsed));
  }

  private onHeadersComplete(maj: number, min: number, headers: string[] | undefined, method: number, url: string | undefined, keepAlive: boolean, upgrade: boolean): number {
    this.headersStart = 0;
    let raw = headers;
    if (raw === undefined || this.headBuffer.length > 0) {
      raw = this.headBuffer.concat(raw ?? []);
      if (raw.length > MAX_HEADER_ENTRIES) raw.length = MAX_HEADER_ENTRIES;
      this.headBuffer = [];
    }
    const target = url ?? this.urlBuffer;
    this.urlBuffer = '';
    const name = METHODS[method] ?? String(method);
    // node:http without 'connect' listeners closes CONNECT; the HTTP/2 preface on the HTTP/1.1 codec alike.
    if (name === 'CONNECT' || name === 'PRI') { this.socket.destroy(); return 1; }
    const req = new H1ServerRequest(this.socket, name, target, raw, maj, min);
    if (upgrade) {
      const u = req.headers.upgrade;
      if (u !== undefined && H2C.test(u)) this.h2cUpgrade = true;
      else this.pause();
    }
    const cl = req.headers['content-length'];
    if ((cl !== undefined && cl !== '0') || req.headers['transfer-encoding'] !== undefined) req.body = new H1RequestBody(() => this.onBodyRead());
    const res = new H1ServerResponse(this, req, keepAlive);
    const pending: Pending = { req, res };
    this.parsing = pending;
    this.queue.push(pending);
    if (this.queue.length === 1 && !this.closing) this.dispatch(pending);
    else if (!this.pipelinePaused && (this.closing || this.queue.length > PIPELINE_READ_AHEAD)) { this.pipelinePaused = true; this.pause(); }
    return 0;
  }

  private dispatch(p: Pending): void {
    const { req, res } = p;
    // A missing Host and the header count are the pipeline's (400 missing_host_header, 431
    // too_many_headers, logged); `Expect: 100-continue` is answered here (Envoy's HCM sends the 100
    // and removes the header), any other expectation goes through as a header.
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1) {
      const expect = req.headers.expect;
      if (expect !== undefined && CONTINUE.test(expect)) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    }
    try {
      this.o.onRequest(req, res);
    } catch {
      // The pipeline answers its own failures; anything escaping it (a bug) costs this connection,
      // never the process (a throw inside a parser callback would reach the native parser).
      this.socket.destroy();
    }
  }

  private onBody(b: Buffer): void {
    const req = this.parsing?.req;
    if (req === undefined) return;
    req.bodyBytes += b.length;
    const body = req.body;
    if (!body || body.destroyed) return;
    if (!body.push(b) && !this.bodyPaused) { this.bodyPaused = true; this.pause(); }
  }

  private onBodyRead(): void {
    if (!this.bodyPaused) return;
    this.bodyPaused = false;
    if (!this.pipelinePaused) this.resume();
  }

  private onMessageComplete(): void {
    const p = this.parsing;
    this.headBuffer = [];
    if (!p) return;
    this.parsing = undefined;
    p.req.complete = true;
    const body = p.req.body;
    if (body && !body.destroyed) body.push(null);
    if (p.res.writableFinished) this.finish(p);
  }

  /** H1ResponseOwner: the response's bytes are all with the socket. */
  responseDone(res: H1ServerResponse): void {
    const p = this.queue[0];
    if (!p || p.res !== res) return;
    if (res.last) {
      this.closing = true;
    } else if (!p.req.complete) {
      // Envoy and node:http read (and drop) the rest of a body nobody consumed before the next request.
      const body = p.req.body;
      if (body && !body.readableFlowing && body.listenerCount('data') === 0) { body.destroy(); this.onBodyRead(); }
    }
    process.nextTick(emitClose, res);
    if (p.req.complete) this.finish(p);
  }

  /** The head request is answered and fully read: serve the next one. */
  private finish(p: Pending): void {
    if (this.queue[0] !== p) return;
    this.queue.shift();
    if (this.queue.length === 0) {
      const now = performance.now();
      this.idleSince = now;
      // The next request's head is read only now (Envoy): its request_headers_timeout starts here.
      if (this.headersStart !== 0) this.headersStart = now;
    }
    if (this.closed || this.closing) return;
    const next = this.queue[0];
    if (next !== undefined) process.nextTick(dispatchNext, this, next);
    else if (this.deferredError !== undefined) process.nextTick(replyDeferred, this);
    else if (this.pipelinePaused) { this.pipelinePaused = false; if (!this.bodyPaused) this.resume(); }
  }

  /** @internal The requests parsed before a parse error are answered: now the error's reply. */
  replyDeferred(): void {
    const err = this.deferredError;
    this.deferredError = undefined;
    if (err === undefined || this.closed || this.closing || this.queue.length > 0) return;
    this.o.onClientError(err, this.socket);
  }

  /** @internal */
  dispatchNext(p: Pending): void {
    if (this.closed || this.closing || this.queue[0] !== p) return;
    if (this.pipelinePaused && this.queue.length <= PIPELINE_READ_AHEAD) { this.pipelinePaused = false; if (!this.bodyPaused) this.resume(); }
    this.dispatch(p);
  }

  /**
   * A parse error or the headers timeout. Envoy parses one request at a time, so an error in bytes
   * after a complete request is met only once that request is answered: requests parsed before the
   * error are served first and the error's reply (400 / 408 / 431, close) follows them; after a
   * `Connection: close` response there is none. An error inside the body of the request being
   * served gets its reply now unless that response started (Envoy's sendProtocolError sends a local
   * reply only `if (!startedResponse())`): then the connection is reset.
   */
  private clientError(err: NodeJS.ErrnoException): void {
    if (this.errored) return;
    this.errored = true;
    this.socket.removeAllListeners('data');
    if (this.handle !== undefined) this.parser[HTTPParser.kOnExecute] = () => {};
    this.pause();
    const head = this.queue[0];
    const p = this.parsing;
    this.parsing = undefined;
    if (p !== undefined && p !== head) {
      // A pipelined request whose body broke: never dispatched, it is dropped with the error.
      this.queue.splice(this.queue.indexOf(p), 1);
      p.req.body?.destroy();
    }
    if (this.closing) return;
    if (head === undefined || (p === head && !head.res.headersSent)) {
      this.o.onClientError(err, this.socket);
      if (head !== undefined) head.res.emitClose();
      return;
    }
    if (p === head) { this.socket.destroy(); return; }
    this.deferredError = err;
  }

  /** The request head did not complete within request_headers_timeout (called by the listener's sweep). */
  headersTimedOut(): void {
    this.headersStart = 0;
    this.clientError(Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }));
  }

  private onEnd(): void {
    if (this.errored) { if (this.queue.length === 0 && this.deferredError === undefined) this.socket.end(); return; }
    const r = this.parser.finish();
    if (r instanceof Error) { this.clientError(r); return; }
    this.abortAll();
    if (this.socket.writable) this.socket.end();
  }

  private abortAll(): void {
    for (const p of this.queue) {
      const body = p.req.body;
      if (body && !body.readableEnded && !body.destroyed) {
        if (body.listenerCount('error') > 0) body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        else body.destroy();
      }
    }
  }

  private onClose(): void {
    this.closed = true;
    this.abortAll();
    for (const p of this.queue.splice(0)) if (!p.res.writableFinished) p.res.emitClose();
    this.parsing = undefined;
    if (this.handle !== undefined) this.parser.unconsume?.();
    this.parser.close();
  }

  /** Draining: closes the connection now when idle, else after the response in progress. */
  closeIfIdle(): void {
    if (this.idle) this.socket.destroy();
  }
}

function emitClose(res: H1ServerResponse): void {
  // As node:http's resOnFinish: a `Connection: close` response ends the connection once written.
  if (res.last) res.socket.destroySoon();
  res.emitClose();
}

function dispatchNext(c: H1ServerConnection, p: Pending): void {
  c.dispatchNext(p);
}

function replyDeferred(c: H1ServerConnection): void {
  c.replyDeferred();
}

/**
 * The fast-path connections of one listener: one timer (not one per request) checks
 * request_headers_timeout and idle_timeout, as node:http's connectionsCheckingInterval does.
 */
export class H1ConnectionSet {
  private readonly all = new Set<{ conn: H1ServerConnection; o: H1ServerOptions }>();
  private timer: NodeJS.Timeout | undefined;
  private intervalMs = 1000;

  get size(): number {
    return this.all.size;
  }

  /** Serves `socket` with the fast path until it closes. */
  add(socket: Socket, o: H1ServerOptions): H1ServerConnection {
    const conn = new H1ServerConnection(socket, o);
    const entry = { conn, o };
    this.all.add(entry);
    socket.once('close', () => {
      this.all.delete(entry);
      if (this.all.size === 0 && this.timer) { clearInterval(this.timer); this.timer = undefined; }
    });
    const interval = Math.max(50, Math.min(1000, Math.floor(o.headersTimeoutMs / 4)));
    if (this.timer === undefined || interval < this.intervalMs) {
      clearInterval(this.timer);
      this.intervalMs = interval;
      this.timer = setInterval(() => this.sweep(), interval).unref();
    }
    return conn;
  }

  private sweep(): void {
    const now = performance.now();
    for (const { conn, o } of this.all) {
      if (conn.readingHead && now - conn.headersStart > o.headersTimeoutMs) conn.headersTimedOut();
      else if (o.idleTimeoutMs > 0 && conn.idle && now - conn.idleSince > o.idleTimeoutMs) conn.socket.destroy();
    }
  }

  /** Draining: closes the idle connections now (the others close after their response). */
  closeIdle(): void {
    for (const { conn } of this.all) conn.closeIfIdle();
  }
}
