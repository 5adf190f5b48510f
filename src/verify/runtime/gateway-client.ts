/**
 * A client of the ingress gateway, as a user outside the mesh would be: plain HTTP/1.1, or TLS with
 * SNI set to the request's host, the server certificate verified against the runtime's CA (for
 * that host name), and, for MUTUAL servers, a client certificate.
 */
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RequestSpec } from '../expectations/types.js';
import type { Closable } from './registry.js';
import { sentFrom, type Sent } from './send.js';

/** TLS as the client offers it. */
export interface ClientTls {
  /** SNI, and the name the server certificate must carry. */
  readonly servername: string;
  /** Trusted root(s), PEM. */
  readonly ca: string;
  /** Client certificate chain and key (PEM), for MUTUAL servers. @default none */
  readonly cert?: string;
  readonly key?: string;
}

/** What one request through the gateway got: a {@link Sent} plus the redirect target, if any. */
export type GatewaySent = Sent & {
  /** `Location` of a redirect. */
  readonly location?: string;
  /** The negotiated TLS version (`TLSv1.3`), for TLS requests answered. */
  readonly tlsVersion?: string;
};

export interface GatewaySendOptions {
  readonly tls?: ClientTls;
  /** A new connection for this request (a handshake of its own). @default false (keep-alive) */
  readonly fresh?: boolean;
  /** @default 30 000 */
  readonly timeoutMs?: number;
}

/**
 * Sends requests to one gateway address (also plain HTTP to a caller sidecar where a redirect's
 * `Location` matters); `close()` drops its keep-alive connections.
 */
export class GatewayClient implements Closable {
  readonly name: string;
  private readonly agents = new Map<string, HttpAgent>();

  constructor(readonly address: string) {
    this.name = `gateway client ${address}`;
  }

  private agentFor(port: number, tls: ClientTls | undefined): HttpAgent {
    const key = `${port} ${tls ? `${tls.servername} ${tls.cert ?? '-'}` : 'plain'}`;
    let a = this.agents.get(key);
    if (!a) this.agents.set(key, (a = tls ? new HttpsAgent({ keepAlive: true, maxSockets: 16 }) : new HttpAgent({ keepAlive: true, maxSockets: 16 })));
    return a;
  }

  /**
   * One request to the listener on `port` with the spec's path, method and headers plus `extra`, and
   * its host as a client of the gateway's Service would write it: with the server port
   * (`via.port`) unless that is the scheme's default.
   */
  send(port: number, spec: RequestSpec, extra: Record<string, string> = {}, o: GatewaySendOptions = {}): Promise<GatewaySent> {
    const tls = o.tls;
    const started = performance.now();
    const requestId = extra['x-request-id'] ?? randomUUID();
    const defaultPort = tls ? 443 : 80;
    const authorityPort = spec.via.kind === 'gateway' ? spec.via.port : port;
    const headers = { ...spec.headers, ...extra, 'x-request-id': requestId, host: authorityPort === defaultPort ? spec.host : `${spec.host}:${authorityPort}` };
    const timeout = o.timeoutMs ?? 30_000;
    const agent = o.fresh ? false : this.agentFor(port, tls);
    return new Promise((resolve) => {
      const onResponse = (res: IncomingMessage) => {
        const tlsVersion = tls ? (res.socket as import('node:tls').TLSSocket | null)?.getProtocol?.() ?? undefined : undefined;
        res.resume();
        res.on('end', () => resolve({
          ...sentFrom(res, started, requestId),
          ...(res.headers.location !== undefined ? { location: res.headers.location } : {}),
          ...(tlsVersion ? { tlsVersion } : {}),
        }));
      };
      const base = { host: this.address, port, path: spec.path, method: spec.method, headers, timeout };
      const req = tls
        ? httpsRequest({ ...base, agent: agent as HttpsAgent | false, servername: tls.servername, ca: tls.ca, ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) }, onResponse)
        : httpRequest({ ...base, agent }, onResponse);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, version: '', workload: '', elapsedMs: performance.now() - started, error: describeError(e), requestId }));
      req.end();
    });
  }

  close(): Promise<void> {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
    return Promise.resolve();
  }
}

/** `ECONNRESET: socket hang up`; OpenSSL's multi-line messages shortened to their code (`ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`). */
function describeError(e: NodeJS.ErrnoException): string {
  const first = e.message.split('\n')[0]!.trim();
  if (e.code === undefined) return first;
  return /SSL routines|^[0-9A-F]+:error:/.test(first) ? e.code : `${e.code}: ${first}`;
}

/** `n` requests through `send`, `concurrency` at a time, in order of `i`. */
export async function sendManyWith<T>(send: (i: number) => Promise<T>, n: number, concurrency: number): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await send(i);
    }
  }));
  return out;
}
