/**
 * Listener filters on a raw socket: `envoy.filters.listener.tls_inspector` (TLS? SNI, ALPN) and
 * `envoy.filters.listener.http_inspector` (plaintext HTTP/1.x or h2c), peeking at the first bytes
 * without consuming them: what was read is put back with `socket.unshift` before anyone else reads,
 * so the TLS server or HTTP parser sees the connection from its first byte.
 */
import type { Socket } from 'node:net';
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from '../tls/client-hello.js';
import { sniffHttp } from './http-sniff.js';

/** What the listener filters learned, as filter chain matching reads it. */
export interface Inspection {
  /** `tls` or `raw_buffer`. */
  readonly transportProtocol: string;
  /** SNI, lower case, `''` when none. */
  readonly serverName: string;
  /** ALPN offered (TLS) or sniffed (`http/1.1`, `http/1.0`, `h2c`). */
  readonly applicationProtocols: readonly string[];
  /** The bytes read (and put back), for protocol detection after the chain is chosen. */
  readonly firstBytes?: Buffer;
}

/** Which inspectors run, and Envoy's `listener_filters_timeout` handling. */
export interface InspectOptions {
  readonly tls: boolean;
  readonly http: boolean;
  /** `Listener.listener_filters_timeout`. @default 15000 ms; 0 disables */
  readonly timeoutMs?: number;
  /**
   * `Listener.continue_on_listener_filters_timeout`: on timeout, go on with what is known (a
   * server-first protocol sends nothing) instead of closing. @default false
   */
  readonly continueOnTimeout?: boolean;
}

/** Failure of the listener filters; the caller closes the connection (Envoy does). */
export class InspectError extends Error {
  constructor(readonly code: 'TIMEOUT' | 'CLIENT_HELLO_TOO_LARGE' | 'CLOSED', message: string) {
    super(message);
    this.name = 'InspectError';
  }
}

const RAW: Inspection = { transportProtocol: 'raw_buffer', serverName: '', applicationProtocols: [] };

/**
 * Runs the inspectors on `socket`. Resolves once they have decided; every byte read is unshifted
 * back. Rejects with {@link InspectError} on timeout (unless continuing), an oversized ClientHello,
 * or a peer that closes first.
 */
export function inspectConnection(socket: Socket, opts: InspectOptions): Promise<Inspection> {
  if (!opts.tls && !opts.http) return Promise.resolve(RAW);
  return new Promise<Inspection>((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const timer = timeoutMs > 0 ? setTimeout(() => {
      if (opts.continueOnTimeout) finish(RAW);
      else fail(new InspectError('TIMEOUT', `listener filters timed out after ${timeoutMs} ms without a decision (listener_filters_timeout)`));
    }, timeoutMs) : undefined;
    const cleanup = () => {
      done = true;
      if (timer) clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      if (buf.length) socket.unshift(buf);
    };
    const finish = (r: Inspection) => { if (!done) { const firstBytes = buf; cleanup(); resolve({ ...r, firstBytes }); } };
    const fail = (e: InspectError) => { if (!done) { cleanup(); reject(e); } };
    const decide = (final: boolean): void => {
      let tls: Inspection | undefined;
      if (opts.tls) {
        const hello = parseClientHello(buf);
        if (hello.kind === 'too-large') return fail(new InspectError('CLIENT_HELLO_TOO_LARGE', `ClientHello larger than ${MAX_CLIENT_HELLO_BYTES} bytes`));
        if (hello.kind === 'need-more' && !final) return;
        if (hello.kind === 'tls') tls = { transportProtocol: 'tls', serverName: hello.serverName, applicationProtocols: hello.alpn };
      }
      if (tls) return finish(tls);
      if (opts.http) {
        const h = sniffHttp(buf);
        if (h === 'need-more' && !final) return;
        return finish({ ...RAW, applicationProtocols: h === 'need-more' ? [] : h });
      }
      return finish(RAW);
    };
    function onReadable(): void {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      decide(false);
    }
    function onEnd(): void {
      if (buf.length) decide(true);
      else fail(new InspectError('CLOSED', 'peer closed before sending anything'));
    }
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
  });
}
