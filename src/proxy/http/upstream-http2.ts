/**
 * HTTP/2 to an upstream host (clusters with `http2_protocol_options`, e.g. gRPC): node:http2
 * sessions (prior knowledge h2c, or TLS when the cluster has a transport socket), as many as
 * `max_concurrent_streams` asks for, replaced when they close, receive GOAWAY, or reach
 * `max_connection_duration` or `max_requests_per_connection`. Streams carry trailers both ways, so
 * gRPC works end to end.
 */
import * as http2 from 'node:http2';
import type { Readable } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { ClusterStats } from '../admin/stats.js';
import { type ResponseSink, UpstreamError, type UpstreamHost, type UpstreamResponse } from './pipeline.js';
import { classifyUpstreamError, earlyResetDetails, resetBody } from './upstream-errors.js';

const DROP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings', 'te']);

/** One HTTP/2 connection of a host and what the pool counts on it. */
interface Session {
  readonly s: http2.ClientHttp2Session;
  /** Streams open now. */
  active: number;
  /** Streams ever opened (`max_requests_per_connection`). */
  opened: number;
  /** Takes no new stream (GOAWAY received, max duration or request count reached, closing). */
  draining: boolean;
}

/** What the sessions of a host follow: `Cluster` fields, see {@link CompiledCluster}. */
export interface Http2UpstreamOptions {
  /** `connect_timeout` (ms). */
  readonly connectTimeoutMs: number;
  /** `http2_protocol_options.max_concurrent_streams`: streams per session before another opens. @default 2147483647 */
  readonly maxConcurrentStreams?: number;
  /** `max_requests_per_connection`: streams per session over its life; 0 = unlimited. @default 0 */
  readonly maxRequestsPerConnection?: number;
  /** `common_http_protocol_options.max_connection_duration` (ms); 0 = none. @default 0 */
  readonly maxConnectionDurationMs?: number;
  /** `http2_protocol_options.connection_keepalive` (ms): PING interval (0: none) and ack timeout. */
  readonly keepalive?: { readonly intervalMs: number; readonly timeoutMs: number };
}

/**
 * The sessions to one host: a stream goes on the first session with room (fewer open streams than
 * `max_concurrent_streams`), else on a new one. A session is drained (no new streams, closed once
 * its streams end) when the peer sends GOAWAY, when it reaches `max_connection_duration` or
 * `max_requests_per_connection`, and closed when a keepalive PING goes unacknowledged.
 */
export class Http2Upstream {
  private readonly sessions: Session[] = [];

  /**
   * `tls` gives the TLS options (undefined: h2c) for each new session, so an SDS update applies to the
   * next one. `alpn` (istio.alpn) is offered on TLS sessions instead of node's `h2`.
   */
  constructor(private readonly host: UpstreamHost, private readonly options: Http2UpstreamOptions, private readonly tls: () => ConnectionOptions | undefined, private readonly stats: ClusterStats, private readonly alpn?: readonly string[]) {}

  /** Open sessions (tests and stats). */
  get connections(): number {
    return this.sessions.length;
  }

  /** A session with room for one more stream, opened when none has. */
  private get(): Session {
    const max = this.options.maxConcurrentStreams ?? 2147483647;
    for (const x of this.sessions) if (!x.draining && !x.s.closed && !x.s.destroyed && x.active < max) return x;
    return this.open();
  }

  private open(): Session {
    const o = this.options;
    const tls = this.tls();
    const authority = `${tls ? 'https' : 'http'}://${this.host.key}`;
    // node:http2 offers only `h2` on its own TLS sockets; an override needs a socket made here.
    const alpn = this.alpn;
    const own = tls && alpn ? { createConnection: () => tlsConnect({ ...tls, host: this.host.address, port: this.host.port, ALPNProtocols: [...alpn] }) } : {};
    const s = http2.connect(authority, { ...(tls ?? {}), ...own, settings: { enablePush: false } });
    const x: Session = { s, active: 0, opened: 0, draining: false };
    this.stats.upstream_cx_total++;
    this.stats.upstream_cx_active++;
    const timers: NodeJS.Timeout[] = [];
    const timer = setTimeout(() => s.destroy(Object.assign(new Error(`connect timeout after ${o.connectTimeoutMs} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' })), o.connectTimeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      if (o.maxConnectionDurationMs) timers.push(setTimeout(() => this.drain(x), o.maxConnectionDurationMs).unref());
      const ka = o.keepalive;
      if (ka && ka.intervalMs > 0) timers.push(setInterval(() => this.ping(x, ka.timeoutMs), ka.intervalMs).unref());
    });
    s.on('error', () => {});
    s.once('goaway', () => this.drain(x));
    s.once('close', () => {
      clearTimeout(timer);
      for (const t of timers) clearTimeout(t);
      this.stats.upstream_cx_active--;
      const i = this.sessions.indexOf(x);
      if (i >= 0) this.sessions.splice(i, 1);
    });
    s.unref();
    this.sessions.push(x);
    return x;
  }

  /**
   * No new streams on `x`; it closes once its streams ended. Closed here only when idle: node's
   * `close` sends GOAWAY at once, which can refuse a stream whose HEADERS are still queued.
   */
  private drain(x: Session): void {
    x.draining = true;
    if (x.active === 0 && !x.s.closed && !x.s.destroyed) x.s.close();
  }

  /** `connection_keepalive`: a PING that must be acknowledged within `timeoutMs`, else the session is closed. */
  private ping(x: Session, timeoutMs: number): void {
    if (x.s.closed || x.s.destroyed) return;
    let acked = false;
    const deadline = setTimeout(() => {
      if (!acked) x.s.destroy(Object.assign(new Error(`HTTP/2 keepalive PING not acknowledged within ${timeoutMs} ms`), { code: 'ECONNRESET' }));
    }, timeoutMs).unref();
    try {
      x.s.ping((err) => { acked = !err; if (!err) clearTimeout(deadline); });
    } catch {
      clearTimeout(deadline);
    }
  }

  close(): void {
    for (const x of [...this.sessions]) { x.draining = true; x.s.close(); }
    this.sessions.length = 0;
  }

  /** One stream. `headers` is the flat request header list (`host` becomes `:authority`). */
  forward(method: string, path: string, scheme: string, authority: string, headers: readonly string[], body: Readable | Buffer | null, signal: AbortSignal): Promise<UpstreamResponse> {
    const h: http2.OutgoingHttpHeaders = { ':method': method, ':path': path, ':scheme': scheme, ':authority': authority };
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!.toLowerCase();
      if (DROP.has(name) || name.startsWith(':')) {
        if (name === 'te' && headers[i + 1] === 'trailers') h.te = 'trailers';
        continue;
      }
      const prev = h[name];
      h[name] = prev === undefined ? headers[i + 1]! : Array.isArray(prev) ? [...prev, headers[i + 1]!] : [String(prev), headers[i + 1]!];
    }
    const host = this.host;
    const stats = this.stats;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      let stream: http2.ClientHttp2Stream;
      let session: Session;
      try {
        session = this.get();
        stream = session.s.request(h, { endStream: body === null });
      } catch (e) {
        return reject(classifyUpstreamError(e as Error, host, stats));
      }
      session.active++;
      session.opened++;
      const maxRequests = this.options.maxRequestsPerConnection ?? 0;
      if (maxRequests > 0 && session.opened >= maxRequests) session.draining = true;
      stream.once('close', () => {
        session.active--;
        if (session.draining) this.drain(session);
      });
      let started = false;
      let sink: ResponseSink | undefined;
      let pending: Buffer[] | undefined;
      let trailers: string[] = [];
      let ended = false;
      let failure: Error | undefined;
      let pipeDone: { resolve: () => void; reject: (e: Error) => void } | undefined;
      const onAbort = () => stream.close(http2.constants.NGHTTP2_CANCEL);
      signal.addEventListener('abort', onAbort, { once: true });
      const fail = (e: Error) => {
        if (!started) { started = true; reject(classifyUpstreamError(e, host, stats)); return; }
        if (pipeDone) pipeDone.reject(e); else failure = e;
      };
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (!started && e.code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test(e.message)) {
          started = true;
          reject(new UpstreamError('UC', 503, resetBody('remote refused stream reset'), host, undefined, earlyResetDetails('remote refused stream reset')));
          return;
        }
        fail(e);
      });
      stream.on('close', () => {
        if (!ended) fail(Object.assign(new Error(`stream closed (rst code ${stream.rstCode})`), { code: stream.rstCode === http2.constants.NGHTTP2_PROTOCOL_ERROR ? 'ERR_HTTP2_PROTOCOL_ERROR' : 'ECONNRESET' }));
      });
      stream.on('response', (rh) => {
        started = true;
        const out: string[] = [];
        for (const [k, v] of Object.entries(rh)) {
          if (k.startsWith(':') || DROP.has(k) || v === undefined) continue;
          if (Array.isArray(v)) for (const x of v) out.push(k, x); else out.push(k, String(v));
        }
        resolve({
          status: Number(rh[':status']), headers: out, host,
          pipe: (s) => new Promise<void>((res, rej) => {
            sink = s;
            s.onDrain(() => stream.resume());
            if (pending) { for (const c of pending) s.write(c); pending = undefined; }
            if (failure) return rej(failure);
            if (ended) { s.end(trailers); return res(); }
            pipeDone = { resolve: res, reject: rej };
          }),
          dump: () => { sink = { write: () => true, end: () => {}, onDrain: () => {} }; if (!ended) stream.close(http2.constants.NGHTTP2_CANCEL); },
        });
      });
      stream.on('trailers', (t) => {
        for (const [k, v] of Object.entries(t)) if (v !== undefined) for (const x of Array.isArray(v) ? v : [String(v)]) trailers.push(k, x);
      });
      stream.on('data', (c: Buffer) => {
        if (!sink) { (pending ??= []).push(c); return; }
        if (!sink.write(c)) stream.pause();
      });
      stream.on('end', () => {
        ended = true;
        if (sink) { sink.end(trailers); pipeDone?.resolve(); }
      });
      if (body !== null) {
        if (Buffer.isBuffer(body)) stream.end(body);
        else {
          body.on('error', (e) => stream.close(http2.constants.NGHTTP2_CANCEL, () => fail(e)));
          body.pipe(stream);
        }
      }
    });
  }
}
