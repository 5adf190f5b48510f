/**
 * A keep-alive HTTP/1.1 connection pool to one plaintext upstream host, on `net.Socket`s with Node's
 * own llhttp response parser (the native `HTTPParser` node:http's client uses, strict mode). It
 * replaces undici's `Pool` for plaintext hosts, where undici's per-request machinery (request object,
 * queue, WebAssembly parser calls) cost more CPU than the rest of the proxy (bench/proxy); TLS hosts
 * keep undici. One request per connection at a time (no pipelining), idle connections reused last-in
 * first-out, connections opened on demand without a limit (Envoy's circuit breakers are the policy
 * units' job).
 *
 * The handler is undici's dispatch handler shape (`onConnect`, `onHeaders`, `onData`, `onComplete`,
 * `onError`), so the router's attempt object serves both. Errors carry the codes the upstream error
 * classifier reads: the socket's own (`ECONNREFUSED`… → UF), `UND_ERR_CONNECT_TIMEOUT` (UF),
 * `HPE_*` from the parser (UPE), `UND_ERR_SOCKET` for a connection closed before the response ended (UC).
 */
import * as net from 'node:net';
import type { Readable } from 'node:stream';
import { HTTPParser, type StreamHandle } from './native-parser.js';
import { SocketWriter } from './socket-writer.js';

/** What the pool calls for one request (undici's `Dispatcher.DispatchHandlers` subset). */
export interface H1Handler {
  /** Called at dispatch with a function that aborts the request (the connection is destroyed). */
  onConnect(abort: (err?: Error) => void): void;
  /** Final response headers (1xx are skipped): flat `[name, value, …]` as received. Return value ignored. */
  onHeaders(status: number, rawHeaders: string[], resume: () => void): boolean;
  /** A body chunk; false pauses reading until `resume` (from onHeaders) is called. */
  onData(chunk: Buffer): boolean;
  /** The response ended; trailers flat, or null. */
  onComplete(trailers: string[] | null): void;
  /** The request failed (at most once, never after onComplete). */
  onError(err: Error): void;
  /** Everything one read from the socket carried for this request was parsed (after the calls above for those bytes). */
  onReadEnd?(): void;
}

export interface H1Request {
  readonly method: string;
  readonly path: string;
  /** Flat `[name, value, …]`, hop-by-hop headers already removed, `host` included. */
  readonly headers: readonly string[];
  /** Null for none; a Buffer is sent with content-length; a stream with its content-length header, else chunked. */
  readonly body: Readable | Buffer | null;
}

export interface H1PoolOptions {
  readonly address: string;
  readonly port: number;
  /** `Cluster.connect_timeout` (ms). */
  readonly connectTimeoutMs: number;
  /** How long an idle connection is kept (ms); `common_http_protocol_options.idle_timeout`, capped by the caller. */
  readonly keepAliveTimeoutMs: number;
  /** `max_requests_per_connection`; 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /**
   * `common_http_protocol_options.max_connection_duration` (ms) counted from the connection's
   * establishment; 0 (or absent) = none. An expired connection takes no new request: idle, it
   * closes at once; busy, after its response.
   */
  readonly maxConnectionDurationMs?: number;
  /** Largest response head accepted (bytes); over it the response is a protocol error. */
  readonly maxHeaderSize: number;
  /** Counters: a connection established, a connection closed (after it was established). */
  readonly onConnect?: () => void;
  readonly onDisconnect?: () => void;
}

const noop = (): void => {};

/** Errors with the code the classifier maps (see upstream-errors.ts). */
function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
const BAD_PATH = /[\x00-\x20\x7f]/;
const PAYLOAD_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The request head; throws (message naming the header) on a name or value that would break framing. */
function requestHead(r: H1Request, bodyLength: number | 'stream' | null): { head: string; chunked: boolean } {
  if (BAD_PATH.test(r.path)) throw codedError(`invalid request path ${JSON.stringify(r.path)}`, 'UND_ERR_INVALID_ARG');
  let head = `${r.method} ${r.path} HTTP/1.1\r\n`;
  let hasLength = false;
  const h = r.headers;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!;
    const value = h[i + 1]!;
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) throw codedError(`invalid request header ${JSON.stringify(name)}: ${JSON.stringify(value)}`, 'UND_ERR_INVALID_ARG');
    if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true;
    head += `${name}: ${value}\r\n`;
  }
  let chunked = false;
  if (!hasLength) {
    if (typeof bodyLength === 'number') head += `content-length: ${bodyLength}\r\n`;
    else if (bodyLength === 'stream') { head += 'transfer-encoding: chunked\r\n'; chunked = true; }
    else if (PAYLOAD_METHODS.has(r.method)) head += 'content-length: 0\r\n';
  }
  return { head: `${head}\r\n`, chunked };
}

/**
 * The idle time a response allows: an upstream's `Keep-Alive: timeout=N` (seconds) closes its side
 * after N s, so the connection is retired 1 s before that (undici's threshold), never reused into
 * the upstream's close; else `fallbackMs`.
 */
export function keepAliveHint(raw: readonly string[], fallbackMs: number): number {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // `Connection` has the same length: its first letter tells them apart without lower-casing.
    if (name.length !== 10 || (name.charCodeAt(0) | 0x20) !== 0x6b || name.toLowerCase() !== 'keep-alive') continue;
    const s = timeoutSeconds(raw[i + 1]!);
    if (s >= 0) return Math.min(fallbackMs, Math.max(0, s * 1000 - 1000));
  }
  return fallbackMs;
}

/** `transfer-encoding` / `content-length` when a 1xx or 204 head carries one Envoy refuses (any TE; a CL other than "0"). */
function bodyHeaderOnNoBodyStatus(raw: readonly string[]): 'transfer-encoding' | 'content-length' | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === 17 && n.toLowerCase() === 'transfer-encoding') return 'transfer-encoding';
    if (n.length === 14 && n.toLowerCase() === 'content-length' && raw[i + 1]!.trim() !== '0') return 'content-length';
  }
  return undefined;
}

/** The head without its `Content-Length` entries (Envoy removes `Content-Length: 0` from a 1xx / 204). */
function withoutContentLength(raw: string[]): string[] {
  let i = 0;
  while (i < raw.length && !(raw[i]!.length === 14 && raw[i]!.toLowerCase() === 'content-length')) i += 2;
  if (i >= raw.length) return raw;
  const out: string[] = [];
  for (let j = 0; j < raw.length; j += 2) if (!(raw[j]!.length === 14 && raw[j]!.toLowerCase() === 'content-length')) out.push(raw[j]!, raw[j + 1]!);
  return out;
}

const KEEP_ALIVE_TIMEOUT = /(?:^|[,;\s])timeout=(\d+)/i;
/** The last `Keep-Alive` value parsed and its `timeout=` (s, -1 without one): an upstream sends the same one on every response. */
let lastKeepAlive = '';
let lastTimeoutS = -1;

function timeoutSeconds(value: string): number {
  if (value === lastKeepAlive) return lastTimeoutS;
  const m = KEEP_ALIVE_TIMEOUT.exec(value);
  lastKeepAlive = value;
  lastTimeoutS = m ? Number(m[1]) : -1;
  return lastTimeoutS;
}

class Connection {
  readonly socket: net.Socket;
  /** Head (and small buffered body) writes; a streamed body goes through the socket with its 'drain'. */
  private readonly writer: SocketWriter;
  private readonly parser = new HTTPParser();
  handler: H1Handler | undefined;
  requests = 0;
  idleSince = 0;
  /** Past `max_connection_duration`: not reused. */
  expired = false;
  private durationTimer: NodeJS.Timeout | undefined;
  /** How long this connection may stay idle: the pool's keep-alive timeout, shortened by the upstream's `Keep-Alive: timeout=` hint. */
  keepAliveMs: number;
  private connected = false;
  private info = false;
  private headersDone = false;
  private keepAlive = false;
  private bodyDone = true;
  private headBuffer: string[] = [];
  private skipBody = false;
  private failure: Error | undefined;
  private body: Readable | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  /** The socket's handle once the parser reads from it directly. */
  private handle: StreamHandle | undefined;
  private paused = false;
  /** What each request's handler gets to abort it: fails the request in flight (one function per connection, not per request). */
  private readonly abortCurrent = (err?: Error): void => this.fail(err ?? codedError('request aborted', 'UND_ERR_ABORTED'));

  constructor(private readonly pool: H1Pool) {
    const o = pool.options;
    this.keepAliveMs = o.keepAliveTimeoutMs;
    const s = net.connect({ host: o.address, port: o.port, noDelay: true });
    this.socket = s;
    this.writer = new SocketWriter(s, noop);
    this.connectTimer = setTimeout(() => {
      s.destroy(codedError(`connect timeout after ${o.connectTimeoutMs} ms to ${o.address}:${o.port}`, 'UND_ERR_CONNECT_TIMEOUT'));
    }, o.connectTimeoutMs);
    s.once('connect', () => {
      clearTimeout(this.connectTimer);
      this.connected = true;
      this.consume();
      s.setKeepAlive(true, 60_000);
      if (o.maxConnectionDurationMs) this.durationTimer = setTimeout(() => this.expire(), o.maxConnectionDurationMs).unref();
      o.onConnect?.();
    });
    s.on('data', (d: Buffer) => this.onData(d));
    s.on('end', () => this.onEnd());
    s.on('error', (e: Error) => { this.failure ??= e; });
    s.once('close', () => this.onClose());
    const p = this.parser;
    p.initialize(HTTPParser.RESPONSE, {}, o.maxHeaderSize, 0);
    p[HTTPParser.kOnHeaders] = (headers: string[]) => { for (const x of headers) this.headBuffer.push(x); };
    p[HTTPParser.kOnHeadersComplete] = (_maj: number, _min: number, headers: string[] | undefined, _m: unknown, _u: unknown, status: number, _msg: string, upgrade: boolean, keepAlive: boolean) => this.onHeadersComplete(headers, status, upgrade, keepAlive);
    p[HTTPParser.kOnBody] = (b: Buffer) => { if (this.handler && !this.handler.onData(b)) this.pause(); };
    p[HTTPParser.kOnMessageComplete] = () => this.onMessageComplete();
    p[HTTPParser.kOnExecute] = () => {};
  }

  /** Sends one request on this (idle or new) connection. */
  start(r: H1Request, handler: H1Handler): void {
    this.handler = handler;
    this.requests++;
    this.headersDone = false;
    this.info = false;
    this.skipBody = r.method === 'HEAD';
    handler.onConnect(this.abortCurrent);
    // The previous response may have paused reading for backpressure just before it completed.
    if (this.paused) this.resume();
    const body = r.body;
    let framing;
    try {
      framing = requestHead(r, body === null ? null : Buffer.isBuffer(body) ? body.length : 'stream');
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    const s = this.socket;
    if (body === null) { this.bodyDone = true; this.writer.write(framing.head); return; }
    if (Buffer.isBuffer(body)) {
      this.bodyDone = true;
      if (body.length <= 16_384) {
        // One write for the head and a small body, as the downstream response's.
        const n = framing.head.length;
        const out = Buffer.allocUnsafe(n + body.length);
        out.write(framing.head, 0, n, 'latin1');
        body.copy(out, n);
        this.writer.write(out);
        return;
      }
      s.cork();
      s.write(framing.head, 'latin1');
      s.write(body);
      s.uncork();
      return;
    }
    this.bodyDone = false;
    this.body = body;
    this.writer.write(framing.head);
    const chunked = framing.chunked;
    const onChunk = (c: Buffer | string) => {
      const buf = typeof c === 'string' ? Buffer.from(c) : c;
      if (buf.length === 0) return;
      let ok: boolean;
      if (chunked) { s.cork(); s.write(`${buf.length.toString(16)}\r\n`, 'latin1'); s.write(buf); ok = s.write('\r\n', 'latin1'); s.uncork(); } else ok = s.write(buf);
      if (!ok) { body.pause(); s.once('drain', () => body.resume()); }
    };
    const onEnd = () => { cleanup(); this.bodyDone = true; if (chunked) s.write('0\r\n\r\n', 'latin1'); };
    // The downstream went away mid-body: the upstream must never see a complete request.
    const onAbort = () => { cleanup(); this.fail(codedError('request body aborted', 'UND_ERR_ABORTED')); };
    const cleanup = () => { body.off('data', onChunk); body.off('end', onEnd); body.off('error', onAbort); body.off('close', onClose); this.body = undefined; };
    const onClose = () => { if (!(body as Readable).readableEnded) onAbort(); };
    body.on('data', onChunk);
    body.once('end', onEnd);
    body.once('error', onAbort);
    body.once('close', onClose);
    if (body.isPaused()) body.resume();
  }

  private onHeadersComplete(headers: string[] | undefined, status: number, upgrade: boolean, keepAlive: boolean): number {
    let raw = headers;
    if (!raw || this.headBuffer.length > 0) { raw = [...this.headBuffer, ...(raw ?? [])]; this.headBuffer = []; }
    const h = this.handler;
    if (!h) { this.socket.destroy(); return 1; }
    if (upgrade || status === 101) {
      this.fail(codedError(`unexpected upgrade response (status ${status}) from ${this.pool.options.address}:${this.pool.options.port}`, 'HPE_UNEXPECTED_UPGRADE'));
      return 1;
    }
    if (status < 200 || status === 204) {
      // Envoy's HTTP/1 client codec (strict_1xx_and_204_headers): Transfer-Encoding, or a
      // Content-Length other than 0, on a 1xx or 204 is a protocol error (502 UPE); `Content-Length: 0` is dropped.
      const bad = bodyHeaderOnNoBodyStatus(raw);
      if (bad !== undefined) {
        this.fail(codedError(`${bad} not allowed in a ${status} response from ${this.pool.options.address}:${this.pool.options.port}`, bad === 'transfer-encoding' ? 'HPE_TRANSFER_ENCODING_NOT_ALLOWED' : 'HPE_CONTENT_LENGTH_NOT_ALLOWED'));
        return 1;
      }
      if (status < 200) { this.info = true; return 0; }
      raw = withoutContentLength(raw);
    }
    this.headersDone = true;
    this.keepAlive = keepAlive;
    if (keepAlive) this.keepAliveMs = keepAliveHint(raw, this.pool.options.keepAliveTimeoutMs);
    h.onHeaders(status, raw, () => { if (this.handler === h) this.resume(); });
    return this.skipBody ? 1 : 0;
  }

  private onMessageComplete(): void {
    if (this.info) { this.info = false; return; }
    const h = this.handler;
    if (!h || !this.headersDone) return;
    const trailers = this.headBuffer.length > 0 ? this.headBuffer : null;
    this.headBuffer = [];
    this.handler = undefined;
    const reuse = this.keepAlive && this.bodyDone && !this.socket.destroyed;
    if (!reuse) this.socket.destroy();
    h.onComplete(trailers);
    if (reuse) this.pool.release(this);
  }

  /**
   * Reads from the connected socket's handle straight into the parser (node:http's consume): no
   * Buffer and stream event per read in JavaScript. Data while no request is in flight is a
   * message beginning without a handler (the connection is destroyed) or a parse error.
   */
  private consume(): void {
    const handle = (this.socket as unknown as { _handle?: StreamHandle })._handle;
    const p = this.parser;
    if (!handle?.isStreamBase || handle._consumed || typeof p.consume !== 'function') return;
    handle._consumed = true;
    p.consume(handle);
    this.handle = handle;
    p[HTTPParser.kOnMessageBegin] = () => { if (!this.handler) this.socket.destroy(); };
    p[HTTPParser.kOnExecute] = (r: number | Error) => {
      if (typeof r === 'number') { this.handler?.onReadEnd?.(); return; }
      if (this.handler) this.fail(r); else this.socket.destroy();
    };
  }

  private pause(): void {
    this.paused = true;
    const h = this.handle;
    if (h !== undefined) { if (h.reading) { h.reading = false; h.readStop(); } } else this.socket.pause();
  }

  private resume(): void {
    this.paused = false;
    const h = this.handle;
    if (h !== undefined) { if (!h.reading && !this.socket.destroyed) { h.reading = true; h.readStart(); } } else this.socket.resume();
  }

  private onData(d: Buffer): void {
    if (!this.handler) { this.socket.destroy(); return; }
    const r = this.parser.execute(d);
    if (r instanceof Error) this.fail(r);
    else this.handler?.onReadEnd?.();
  }

  private onEnd(): void {
    // A body framed by the close ends here; anything else cut short is a connection termination
    // (Envoy: UC), not a protocol error, so the parser's EOF verdict is not used.
    if (this.handler && this.headersDone) this.parser.finish();
    if (this.handler) this.fail(codedError(`upstream ${this.pool.options.address}:${this.pool.options.port} closed the connection before the response ended`, 'UND_ERR_SOCKET'));
    this.socket.destroy();
  }

  /** `max_connection_duration` reached: an idle connection closes now, a busy one after its response. */
  private expire(): void {
    this.expired = true;
    if (!this.handler) this.socket.destroy();
  }

  private onClose(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.durationTimer);
    this.pool.forget(this);
    if (this.connected) this.pool.options.onDisconnect?.();
    if (this.handler) this.fail(this.failure ?? codedError(`upstream ${this.pool.options.address}:${this.pool.options.port} closed the connection`, 'UND_ERR_SOCKET'));
    if (this.handle !== undefined) this.parser.unconsume?.();
    this.parser.close();
  }

  /** Ends the current request with `err` (once) and destroys the connection. */
  fail(err: Error): void {
    const h = this.handler;
    this.handler = undefined;
    this.body?.pause();
    this.socket.destroy();
    h?.onError(err);
  }
}

/** The connection pool of one host. */
export class H1Pool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private closed = false;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(readonly options: H1PoolOptions) {}

  /** Sends `r` on an idle connection or a new one; the outcome arrives through `handler`. */
  dispatch(r: H1Request, handler: H1Handler): void {
    if (this.closed) {
      handler.onConnect(() => {});
      handler.onError(codedError('the host\'s connection pool is closed', 'UND_ERR_CLOSED'));
      return;
    }
    let c = this.idle.pop();
    while (c && c.socket.destroyed) c = this.idle.pop();
    if (!c) { c = new Connection(this); this.all.add(c); }
    c.start(r, handler);
  }

  /** A connection finished its response and may carry another request. */
  release(c: Connection): void {
    const max = this.options.maxRequestsPerConnection;
    if (this.closed || (max > 0 && c.requests >= max) || c.keepAliveMs <= 0 || c.expired) { c.socket.destroy(); return; }
    c.idleSince = performance.now();
    this.idle.push(c);
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(10, Math.min(1000, c.keepAliveMs / 2))).unref();
  }

  forget(c: Connection): void {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes connections idle for longer than the keep-alive timeout. */
  private sweep(): void {
    const now = performance.now();
    for (const c of [...this.idle]) if (now - c.idleSince >= c.keepAliveMs) c.socket.destroy();
    if (this.idle.length === 0) { clearInterval(this.sweeper); this.sweeper = undefined; }
  }

  /** Graceful: idle connections close now, busy ones after their response; new requests are refused. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const c of this.idle) c.socket.destroy();
  }

  /** Ends every connection now; requests in flight fail. */
  destroy(): void {
    this.close();
    for (const c of [...this.all]) c.fail(codedError('the host\'s connection pool was destroyed', 'UND_ERR_DESTROYED'));
  }
}
