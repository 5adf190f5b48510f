/**
 * The request and response objects of the downstream HTTP/1.1 fast path (h1-server-connection.ts):
 * the subset of node:http's `IncomingMessage` / `ServerResponse` the request pipeline reads, with
 * node:http's wire behaviour kept byte for byte (status line and reason, `Date`, `Connection:
 * keep-alive`, chunked framing when no length is known, no body for HEAD / 1xx / 204 / 304,
 * `Connection: close` ending the connection after the response), except that no `Keep-Alive:
 * timeout=N` hint is sent, as Envoy sends none (the idle timeout closes the connection all the
 * same); but no stream machinery per request: the head is one string, a small response one socket write.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { SocketWriter } from './socket-writer.js';

/** What the fast path's response needs from its connection. */
export interface H1ResponseOwner {
  readonly socket: Socket;
  /** Writes to `socket` (its single-write fast path); its `onDrain` must reach {@link H1ServerResponse.emitDrain}. */
  readonly writer: SocketWriter;
  /** The response finished (all bytes handed to the socket): the connection may go on. */
  responseDone(res: H1ServerResponse): void;
}

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const CLOSE = /(?:^|\W)close(?:$|\W)/i;
const CHUNKED = /(?:^|\W)chunked(?:$|\W)/i;

let dateCache: string | undefined;
/** node:http's `utcDate()`: the Date header value, recomputed at most once per second. */
function utcDate(): string {
  if (dateCache === undefined) {
    const d = new Date();
    dateCache = d.toUTCString();
    setTimeout(() => { dateCache = undefined; }, 1000 - d.getMilliseconds()).unref();
  }
  return dateCache;
}

function codedError(message: string, code: string, Ctor: ErrorConstructor = TypeError): Error {
  return Object.assign(new Ctor(message), { code });
}

/**
 * One parsed request: `method`, `url`, `httpVersion*`, `headers` (lower-case names; duplicates
 * joined with `, `, `cookie` with `; `, `set-cookie` an array: node:http with
 * `joinDuplicateHeaders`), `rawHeaders` as received. The body, when the request has one
 * (Content-Length > 0 or chunked), is the Readable {@link H1ServerRequest.body}.
 */
export class H1ServerRequest {
  readonly headers: IncomingHttpHeaders = {};
  readonly httpVersion: string;
  body: Readable | null = null;
  /** The whole message (head and body) was parsed. */
  complete = false;
  /** Body bytes parsed so far (after chunked decoding): `%BYTES_RECEIVED%` when there is no Content-Length. */
  bodyBytes = 0;
  constructor(
    readonly socket: Socket, readonly method: string, public url: string, readonly rawHeaders: string[],
    readonly httpVersionMajor: number, readonly httpVersionMinor: number,
  ) {
    this.httpVersion = `${httpVersionMajor}.${httpVersionMinor}`;
    const h = this.headers as Record<string, string | string[]>;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const k = rawHeaders[i]!.toLowerCase();
      const v = rawHeaders[i + 1]!;
      const prev = h[k];
      if (prev === undefined) h[k] = k === 'set-cookie' ? [v] : v;
      else if (k === 'set-cookie') (prev as string[]).push(v);
      else h[k] = `${prev as string}${k === 'cookie' ? '; ' : ', '}${v}`;
    }
  }
}

/** A request body stream fed by the parser; reading resumes the connection it pauses. */
export class H1RequestBody extends Readable {
  constructor(private readonly onRead: () => void) {
    super();
  }

  override _read(): void {
    this.onRead();
  }
}

type Listener = () => void;

/**
 * One response on the connection. `writeHead(status, flatHeaders)` builds the head as node:http's
 * `ServerResponse.writeHead` with an array (validating names and values the same way, throwing
 * node's errors); `write`/`end` frame the body (chunked when no length and the request is
 * HTTP/1.1); `on('close' | 'drain')`; `destroy()` resets the connection.
 */
export class H1ServerResponse {
  headersSent = false;
  writableFinished = false;
  private head = '';
  private chunked = false;
  private hasBody: boolean;
  /** Close the connection after this response (`Connection: close` sent). */
  last = false;
  /** The first 'close' listener (the request pipeline's), then any others: no array per response. */
  private closeListener: Listener | undefined;
  private closeListeners: Listener[] | undefined;
  private drainListeners: Listener[] | undefined;
  closed = false;

  constructor(private readonly owner: H1ResponseOwner, readonly req: H1ServerRequest, private readonly keepAlive: boolean) {
    this.hasBody = req.method !== 'HEAD';
  }

  get socket(): Socket {
    return this.owner.socket;
  }

  on(event: 'close' | 'drain', fn: Listener): this {
    if (event === 'close') {
      if (this.closeListener === undefined && this.closeListeners === undefined) this.closeListener = fn;
      else (this.closeListeners ??= []).push(fn);
    }
    else (this.drainListeners ??= []).push(fn);
    return this;
  }

  /** The connection drained after a write returned false. */
  emitDrain(): void {
    const l = this.drainListeners;
    if (l) for (const f of l) f();
  }

  /** Once: the response finished or the connection closed before it did. */
  emitClose(): void {
    if (this.closed) return;
    this.closed = true;
    const first = this.closeListener;
    const l = this.closeListeners;
    this.closeListener = undefined;
    this.closeListeners = undefined;
    if (first) first();
    if (l) for (const f of l) f();
  }

  writeHead(status: number, headers: readonly string[]): this {
    const code = status | 0;
    if (code < 100 || code > 999) throw codedError(`Invalid status code: ${status}`, 'ERR_HTTP_INVALID_STATUS_CODE', RangeError);
    if (code === 204 || code === 304 || code < 200) this.hasBody = false;
    if (headers.length % 2 !== 0) throw codedError(`The argument 'headers' is invalid. Received ${JSON.stringify(headers)}`, 'ERR_INVALID_ARG_VALUE');
    let head = `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'unknown'}\r\n`;
    let date = false;
    let connection = false;
    let contLen = false;
    let te = false;
    let keepAlive = this.keepAlive;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (!name) continue;
      const value = headers[i + 1]!;
      if (!TOKEN.test(name)) throw codedError(`Header name must be a valid HTTP token ["${name}"]`, 'ERR_INVALID_HTTP_TOKEN');
      if (value === undefined) throw codedError(`Invalid value "undefined" for header "${name}"`, 'ERR_HTTP_INVALID_HEADER_VALUE');
      if (INVALID_VALUE.test(value)) throw codedError(`Invalid character in header content ["${name}"]`, 'ERR_INVALID_CHAR');
      head += `${name}: ${value}\r\n`;
      switch (name.length) {
        case 4: if (name.toLowerCase() === 'date') date = true; break;
        case 10:
          if (name.toLowerCase() === 'connection') {
            connection = true;
            if (CLOSE.test(value)) this.last = true; else keepAlive = true;
          }
          break;
        case 14: if (name.toLowerCase() === 'content-length') contLen = true; break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') { te = true; if (CHUNKED.test(value)) this.chunked = true; }
          break;
      }
    }
    if (!date) head += `Date: ${utcDate()}\r\n`;
    const http11 = this.req.httpVersionMajor === 1 && this.req.httpVersionMinor === 1;
    const chunkedByDefault = http11 || CHUNKED.test(String(this.req.headers.te ?? ''));
    if (!connection) {
      if (keepAlive && (contLen || chunkedByDefault)) {
        head += 'Connection: keep-alive\r\n';
      } else {
        this.last = true;
        head += 'Connection: close\r\n';
      }
    } else if (!keepAlive) {
      this.last = true;
    }
    if (!contLen && !te) {
      if (!this.hasBody) this.chunked = false;
      else if (!chunkedByDefault) this.last = true;
      else { head += 'Transfer-Encoding: chunked\r\n'; this.chunked = true; }
    }
    this.head = `${head}\r\n`;
    this.headersSent = true;
    return this;
  }

  /** Writes a body chunk (after the head, framed); false when the socket buffer is full (wait for 'drain'). */
  write(chunk: Buffer | string): boolean {
    if (this.writableFinished || this.closed) return false;
    const socket = this.owner.socket;
    const writer = this.owner.writer;
    if (!this.hasBody) {
      if (this.head !== '') { const h = this.head; this.head = ''; return writer.write(h); }
      return true;
    }
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (buf.length === 0 && this.head === '') return true;
    if (this.chunked) {
      const prefix = `${this.head}${buf.length === 0 ? '' : `${buf.length.toString(16)}\r\n`}`;
      this.head = '';
      if (buf.length === 0) return writer.write(prefix);
      socket.cork();
      socket.write(prefix, 'latin1');
      socket.write(buf);
      const ok = socket.write('\r\n', 'latin1');
      socket.uncork();
      return ok;
    }
    if (this.head === '') return writer.write(buf);
    const head = this.head;
    this.head = '';
    if (buf.length <= 16_384) {
      // One write for head and a small body: one syscall, no writev.
      const n = head.length;
      const out = Buffer.allocUnsafe(n + buf.length);
      out.write(head, 0, n, 'latin1');
      buf.copy(out, n);
      return writer.write(out);
    }
    socket.cork();
    socket.write(head, 'latin1');
    const ok = socket.write(buf);
    socket.uncork();
    return ok;
  }

  /** Ends the response (writing `body` first); the connection goes on, or closes after a `Connection: close` response. */
  end(body?: Buffer | string): this {
    if (this.writableFinished || this.closed) return this;
    if (!this.headersSent) this.writeHead(200, []);
    const writer = this.owner.writer;
    const b = body === undefined || body === '' ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    if (this.chunked) {
      if (b !== undefined && this.hasBody) this.write(b);
      writer.write(`${this.head}0\r\n\r\n`);
      this.head = '';
    } else if (b !== undefined && this.hasBody) {
      this.write(b);
    } else if (this.head !== '') {
      writer.write(this.head);
      this.head = '';
    }
    this.writableFinished = true;
    this.owner.responseDone(this);
    return this;
  }

  /** Resets the connection (node:http's `res.destroy()` destroys the socket). */
  destroy(): void {
    this.owner.socket.destroy();
  }
}
