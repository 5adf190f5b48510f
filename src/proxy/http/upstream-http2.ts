/**
 * HTTP/2 to an upstream host (clusters with `http2_protocol_options`, e.g. gRPC): one node:http2
 * session per host (prior knowledge h2c, or TLS when the cluster has a transport socket), reopened
 * when it closes or receives GOAWAY. Streams carry trailers both ways, so gRPC works end to end.
 */
import * as http2 from 'node:http2';
import type { Readable } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { ClusterStats } from '../admin/stats.js';
import { type ResponseSink, UpstreamError, type UpstreamHost, type UpstreamResponse } from './pipeline.js';
import { classifyUpstreamError, earlyResetDetails, resetBody } from './upstream-errors.js';

const DROP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings', 'te']);

/** A reusable session to one host. */
export class Http2Upstream {
  private session: http2.ClientHttp2Session | undefined;

  /**
   * `tls` gives the TLS options (undefined: h2c) for each new session, so an SDS update applies to the
   * next one. `alpn` (istio.alpn) is offered on TLS sessions instead of node's `h2`.
   */
  constructor(private readonly host: UpstreamHost, private readonly connectTimeoutMs: number, private readonly tls: () => ConnectionOptions | undefined, private readonly stats: ClusterStats, private readonly alpn?: readonly string[]) {}

  private get(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const tls = this.tls();
    const authority = `${tls ? 'https' : 'http'}://${this.host.key}`;
    // node:http2 offers only `h2` on its own TLS sockets; an override needs a socket made here.
    const alpn = this.alpn;
    const own = tls && alpn ? { createConnection: () => tlsConnect({ ...tls, host: this.host.address, port: this.host.port, ALPNProtocols: [...alpn] }) } : {};
    const s = http2.connect(authority, { ...(tls ?? {}), ...own, settings: { enablePush: false } });
    this.stats.upstream_cx_total++;
    this.stats.upstream_cx_active++;
    const timer = setTimeout(() => s.destroy(Object.assign(new Error(`connect timeout after ${this.connectTimeoutMs} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' })), this.connectTimeoutMs);
    s.once('connect', () => clearTimeout(timer));
    s.on('error', () => {});
    s.once('goaway', () => { if (this.session === s) this.session = undefined; });
    s.once('close', () => { clearTimeout(timer); this.stats.upstream_cx_active--; if (this.session === s) this.session = undefined; });
    s.unref();
    this.session = s;
    return s;
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
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
      let session: http2.ClientHttp2Session;
      let stream: http2.ClientHttp2Stream;
      try {
        session = this.get();
        stream = session.request(h, { endStream: body === null });
      } catch (e) {
        return reject(classifyUpstreamError(e as Error, host, stats));
      }
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
