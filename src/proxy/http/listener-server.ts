/**
 * One bound Listener: a net.Server on its socket address. Each connection is peeked (first bytes) to
 * choose the filter chain (`filter_chain_match` through the registered selector, else the first
 * chain), then handed to TLS (when the chain has a transport socket; ALPN h2 / http/1.1), to a network
 * filter (tcp_proxy…), or to the chain's HTTP connection manager: plaintext HTTP/1.1 to the fast
 * path (h1-server-connection.ts: llhttp on the raw socket), HTTP/1.1 over TLS to node:http,
 * HTTP/2 to node:http2 (prior-knowledge h2c is recognised by its preface; `codec_type` can force one).
 *
 * New config for the same address replaces the chains for new connections; connections already open
 * keep the servers they started with, so nothing in flight is dropped. Draining stops accepting,
 * closes idle HTTP/1.1 connections, sends GOAWAY on HTTP/2, and destroys what is left at the deadline.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { StatsStore } from '../admin/stats.js';
import type { CompiledChain, CompiledHcm, CompiledListener } from '../config/listener-config.js';
import type { ConnectionInfo, ProxyExtensions } from './pipeline.js';
import { type HandlerEnv, handleRequest } from './request-handler.js';
import { handleClientError } from './client-error.js';
import { inspectConnection } from '../tcp/inspect.js';
import { enabledInspectors } from '../tcp/listener-filters.js';
import { type DownstreamRequest, type DownstreamResponse, RAW_SOCKET, TLS_SOCKET } from './downstream.js';
import { H1ConnectionSet, type H1ServerOptions } from './h1-server-connection.js';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

interface HcmServers { readonly h1: http.Server; readonly h2: http2.Http2Server; readonly fast: H1ServerOptions }

export class ListenerServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly h2Sessions = new Set<http2.ServerHttp2Session>();
  private readonly servers = new WeakMap<CompiledHcm, HcmServers>();
  private readonly allServers = new Set<HcmServers>();
  private readonly fastConnections = new H1ConnectionSet();
  private draining = false;
  private boundPort = 0;

  constructor(public config: CompiledListener, private readonly env: HandlerEnv, private readonly ext: ProxyExtensions, private readonly stats: StatsStore) {
    this.server = net.createServer({ noDelay: true }, (s) => this.onConnection(s));
    this.server.on('error', () => {});
  }

  /** Binds `host:port` (port 0 picks one). Rejects with the bind error (EADDRINUSE…). */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen({ host: this.config.host, port: this.config.port, exclusive: true }, () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** The bound address (port resolved when the listener asked for 0). */
  address(): { host: string; port: number } {
    return { host: this.config.host, port: this.boundPort };
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  private stat() {
    return this.stats.listener(`${this.config.host}_${this.config.port}`);
  }

  private onConnection(socket: net.Socket): void {
    if (this.draining) { socket.destroy(); return; }
    this.sockets.add(socket);
    const ls = this.stat();
    ls.downstream_cx_total++;
    ls.downstream_cx_active++;
    socket.once('close', () => { this.sockets.delete(socket); ls.downstream_cx_active--; });
    socket.on('error', () => {});
    const config = this.config;
    // One chain is served unpeeked only when nothing could turn the connection away or tell it apart:
    // a lone chain with a filter_chain_match (server_names…) still refuses what it does not match, and
    // listener filters (tls_inspector) give the chain's filters the connection's SNI, as in Envoy.
    const needsPeek = config.chains.length + (config.defaultChain ? 1 : 0) > 1 || config.source.listenerFilters.length > 0
      || config.chains.some((c) => c.tls || c.hcm?.codec === 'auto' || c.source.filterChainMatch !== undefined) || !!config.defaultChain?.tls;
    if (!needsPeek) {
      const chain = config.chains[0] ?? config.defaultChain!;
      return this.serveChain(chain, socket, socket, undefined);
    }
    const l = config.source;
    const inspect = enabledInspectors(l, config.chains.some((c) => c.tls) || !!config.defaultChain?.tls, socket.localPort ?? 0);
    if (!inspect.tls && !inspect.http) {
      // No listener filter runs (none configured, or filter_disabled on this port): as Envoy, the chain is chosen from the
      // addresses alone and the bytes go straight to the codec; an AUTO codec looks at the first read
      // for the HTTP/2 preface (Envoy's `determineNextProtocol`), so a malformed or incomplete
      // request line reaches the HTTP/1.1 parser (400, or 408 after request_headers_timeout).
      const info: ConnectionInfo = {
        localAddress: socket.localAddress ?? '', localPort: socket.localPort ?? 0, remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0,
        transportProtocol: 'raw_buffer', firstBytes: Buffer.alloc(0), serverName: '', applicationProtocols: [],
      };
      const chain = this.selectChain(info);
      if (!chain) { socket.destroy(); return; }
      if (chain.tls) return this.serveTls(chain, socket, info);
      if (chain.network || chain.hcm?.codec !== 'auto') return this.serveChain(chain, socket, socket, undefined);
      firstRead(socket).then((firstBytes) => {
        if (firstBytes === undefined) { socket.destroy(); return; }
        this.serveChain(chain, socket, socket, { ...info, firstBytes });
      }, () => socket.destroy());
      return;
    }
    // Listener filters (tls_inspector, http_inspector, those enabled on this port): peek SNI, ALPN or
    // the plaintext protocol; the bytes are put back for TLS or the HTTP codec.
    const timeoutMs = l.listenerFiltersTimeout ? Number(l.listenerFiltersTimeout.seconds) * 1000 + Math.floor(l.listenerFiltersTimeout.nanos / 1e6) : 15_000;
    inspectConnection(socket, { tls: inspect.tls, http: inspect.http, timeoutMs, continueOnTimeout: l.continueOnListenerFiltersTimeout }).then((r) => {
      const info: ConnectionInfo = {
        localAddress: socket.localAddress ?? '', localPort: socket.localPort ?? 0, remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0,
        transportProtocol: r.transportProtocol === 'tls' ? 'tls' : 'raw_buffer', firstBytes: r.firstBytes ?? Buffer.alloc(0),
        serverName: r.serverName, applicationProtocols: r.applicationProtocols,
      };
      const chain = this.selectChain(info);
      if (!chain) { socket.destroy(); return; }
      if (chain.tls) return this.serveTls(chain, socket, info);
      this.serveChain(chain, socket, socket, info);
    }, () => socket.destroy());
  }

  private selectChain(info: ConnectionInfo): CompiledChain | undefined {
    const c = this.config;
    if (this.ext.filterChainSelector) {
      const picked = this.ext.filterChainSelector(c.source, info);
      if (!picked) return undefined;
      if (picked === c.source.defaultFilterChain) return c.defaultChain;
      return c.chains[c.source.filterChains.indexOf(picked)] ?? c.defaultChain;
    }
    return c.chains[0] ?? c.defaultChain;
  }

  /** Terminates TLS. The peeked bytes are replayed through a stream wrapper (a TLSSocket on the raw handle would lose them). */
  private serveTls(chain: CompiledChain, socket: net.Socket, info: ConnectionInfo): void {
    let opts;
    try {
      opts = this.ext.tls!.downstream(chain.source, info);
    } catch {
      socket.destroy();
      return;
    }
    const wrapped = replayable(socket);
    const alpn = opts.ALPNProtocols ?? (chain.hcm?.codec === 'http1' ? ['http/1.1'] : ['h2', 'http/1.1']);
    const t = new tls.TLSSocket(wrapped, { isServer: true, ...opts, ALPNProtocols: alpn });
    (t as unknown as Record<symbol, net.Socket>)[RAW_SOCKET] = socket;
    t.on('error', () => socket.destroy());
    t.once('secure', () => {
      const refused = this.ext.tls!.verifyPeer?.(chain.source, t);
      if (refused) { t.destroy(); socket.destroy(); return; }
      this.serveChain(chain, t, socket, info);
    });
  }

  private serveChain(chain: CompiledChain, stream: net.Socket, raw: net.Socket, peeked: ConnectionInfo | undefined): void {
    const info = peeked ?? { localAddress: raw.localAddress ?? '', localPort: raw.localPort ?? 0, remoteAddress: raw.remoteAddress ?? '', remotePort: raw.remotePort ?? 0, transportProtocol: 'raw_buffer', firstBytes: Buffer.alloc(0) };
    this.runGates(chain, stream, raw, info, 0, peeked);
  }

  /** The chain's gates in order from `from`; a gate's promise (network ext_authz) holds the connection until it settles. */
  private runGates(chain: CompiledChain, stream: net.Socket, raw: net.Socket, info: ConnectionInfo, from: number, peeked: ConnectionInfo | undefined): void {
    for (let i = from; i < chain.gates.length; i++) {
      const verdict = chain.gates[i]!(stream, info);
      if (verdict === undefined) continue;
      if (typeof verdict === 'string') { stream.destroy(); raw.destroy(); return; }
      verdict.then((why) => {
        if (why !== undefined || stream.destroyed) { stream.destroy(); raw.destroy(); return; }
        this.runGates(chain, stream, raw, info, i + 1, peeked);
      }, () => { stream.destroy(); raw.destroy(); });
      return;
    }
    this.enterChain(chain, stream, raw, info, peeked);
  }

  private enterChain(chain: CompiledChain, stream: net.Socket, raw: net.Socket, info: ConnectionInfo, peeked: ConnectionInfo | undefined): void {
    if (chain.network) {
      chain.network(stream, info);
      if (stream === raw && raw.isPaused()) raw.resume();
      return;
    }
    const hcm = chain.hcm!;
    const alpn = (stream as tls.TLSSocket).alpnProtocol;
    // TLS without a negotiated protocol (Istio's mTLS offers istio-peer-exchange/istio, the server
    // context h2/http/1.1): like Envoy's AUTO codec, look at the decrypted bytes for the h2 preface.
    if (stream !== raw && !alpn && hcm.codec === 'auto') {
      inspectConnection(stream, { tls: false, http: true, timeoutMs: hcm.requestHeadersTimeoutMs }).then((r) => {
        this.serveHcm(chain, stream, raw, r.applicationProtocols.includes('h2c'));
      }, () => { stream.destroy(); raw.destroy(); });
      return;
    }
    this.serveHcm(chain, stream, raw, hcm.codec === 'http2' || alpn === 'h2' || (!alpn && hcm.codec === 'auto' && peeked !== undefined && startsWithPreface(info.firstBytes)));
  }

  private serveHcm(chain: CompiledChain, stream: net.Socket, raw: net.Socket, h2: boolean): void {
    const servers = this.serversFor(chain.hcm!);
    // node:http2 takes over the handle and first replays what is buffered on the socket (the peeked
    // bytes put back), provided the socket is still paused; node:http reads through 'data' events.
    // Over TLS the stream is a TLSSocket on a JS stream that may already hold decrypted bytes, which
    // node:http2 cannot replay there: it gets a fresh wrapper that forwards them.
    if (h2) return void servers.h2.emit('connection', stream === raw ? stream : replayable(stream, raw));
    if (stream === raw) this.fastConnections.add(raw, servers.fast);
    else servers.h1.emit('connection', stream);
    if (stream === raw && raw.isPaused()) raw.resume();
  }

  private serversFor(hcm: CompiledHcm): HcmServers {
    let s = this.servers.get(hcm);
    if (s) return s;
    const ctx = { listenerName: this.config.name, hcm, stats: this.stats.httpPrefix(hcm.statPrefix), localPort: this.config.port || this.boundPort };
    const onRequest = (req: DownstreamRequest, res: DownstreamResponse) => handleRequest(this.env, ctx, req, res);
    const h1 = http.createServer({
      maxHeaderSize: hcm.maxRequestHeadersKb * 1024,
      headersTimeout: hcm.requestHeadersTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: Math.min(hcm.idleTimeoutMs, 2 ** 31 - 1),
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(hcm.requestHeadersTimeoutMs / 4))),
      noDelay: true,
      // A missing Host is the pipeline's 400 missing_host_header (logged, counted), as on the fast path.
      requireHostHeader: false,
      joinDuplicateHeaders: true,
    } as http.ServerOptions, onRequest);
    // Node starts its header/request timeout checks on 'listening'; this server never listens itself.
    h1.emit('listening');
    h1.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => handleClientError(err, socket, this.env, ctx));
    // An expectation other than 100-continue is forwarded as Envoy does (node:http would answer 417).
    h1.on('checkExpectation', onRequest);
    const h2 = http2.createServer({ maxSessionMemory: 64, settings: { maxHeaderListSize: hcm.maxRequestHeadersKb * 1024 } }, onRequest);
    h2.on('session', (session: http2.ServerHttp2Session) => {
      this.h2Sessions.add(session);
      session.once('close', () => this.h2Sessions.delete(session));
      if (this.draining) session.close();
    });
    h2.on('sessionError', () => {});
    const fast: H1ServerOptions = {
      maxHeaderSize: hcm.maxRequestHeadersKb * 1024,
      headersTimeoutMs: hcm.requestHeadersTimeoutMs,
      idleTimeoutMs: hcm.idleTimeoutMs,
      onRequest,
      onClientError: (err, socket) => handleClientError(err, socket, this.env, ctx),
    };
    s = { h1, h2, fast };
    this.servers.set(hcm, s);
    this.allServers.add(s);
    return s;
  }

  /**
   * Stops accepting, asks open connections to finish (HTTP/1.1 idle ones closed now, busy ones after
   * their response; HTTP/2 GOAWAY), and resolves when all are closed or after `timeoutMs`, destroying
   * what is left.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    // Not awaited: net.Server's close callback waits for every connection, idle keep-alive ones
    // included, which are exactly what the loop below closes.
    this.server.close();
    for (const s of this.allServers) s.h1.closeIdleConnections();
    this.fastConnections.closeIdle();
    for (const session of this.h2Sessions) session.close();
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0 && Date.now() < deadline) {
      for (const s of this.allServers) s.h1.closeIdleConnections();
      this.fastConnections.closeIdle();
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const s of this.sockets) s.destroy();
    // A destroyed socket's 'close' (which resets and logs the requests it cut, as Envoy logs the
    // streams reset on a drain close) comes on a later turn: wait for it (at most 1 s), so those
    // lines reach the access log before the proxy closes it.
    const closeBy = Date.now() + 1000;
    while (this.sockets.size > 0 && Date.now() < closeBy) await new Promise((r) => setTimeout(r, 5));
  }

  /** Closes at once (tests, and the end of a drain). */
  close(): void {
    this.draining = true;
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}

/**
 * A Duplex over `socket` that replays what was peeked and put back or already buffered (node's TLS
 * and HTTP/2 take a net.Socket's handle natively and would lose it). Carries the raw TCP socket
 * under {@link RAW_SOCKET} and, over TLS, the TLS socket under {@link TLS_SOCKET}.
 */
function replayable(socket: net.Socket | tls.TLSSocket, raw: net.Socket = socket): Duplex {
  const wrapped = new Duplex({
    read: () => { socket.resume(); },
    write: (chunk, enc, cb) => { socket.write(chunk, enc, cb); },
    final: (cb) => { socket.end(); cb(); },
    destroy: (err, cb) => { socket.destroy(); cb(err); },
  });
  const props = wrapped as unknown as Record<symbol, unknown> & { encrypted?: boolean };
  props[RAW_SOCKET] = raw;
  if (socket instanceof tls.TLSSocket) { props[TLS_SOCKET] = socket; props.encrypted = true; }
  socket.on('data', (d: Buffer) => { if (!wrapped.push(d)) socket.pause(); });
  socket.on('end', () => wrapped.push(null));
  socket.on('close', () => wrapped.destroy());
  return wrapped;
}

/** The first bytes the peer sends, put back on the (paused) socket; undefined when it closes first. */
function firstRead(socket: net.Socket): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const done = (b: Buffer | undefined) => {
      socket.off('readable', onReadable);
      socket.off('close', onClose);
      if (b) { socket.pause(); socket.unshift(b); }
      resolve(b);
    };
    const onClose = () => done(undefined);
    const onReadable = () => {
      const b = socket.read() as Buffer | null;
      if (b !== null) done(b);
    };
    socket.on('readable', onReadable);
    socket.once('close', onClose);
  });
}

function startsWithPreface(b: Buffer): boolean {
  const n = Math.min(b.length, H2_PREFACE.length);
  return n >= 3 && b.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
}
