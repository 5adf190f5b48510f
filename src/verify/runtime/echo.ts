/**
 * The echo backend of one workload on one port: answers every request with who it is (JSON body
 * and `x-meshproof-workload` / `x-meshproof-version` headers), and lets a test ask for trouble:
 * `x-echo-status: 503` answers that status, `x-echo-delay-ms: 1500` waits first. It counts the
 * requests it received per `x-meshproof-request` id, so retries can be counted at the backend. A
 * backend made with `failWith` answers every request with that status (an endpoint gone bad, for
 * outlier detection), whatever the request asks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Closable } from './registry.js';

export interface EchoIdentity {
  readonly namespace: string;
  readonly workload: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** How an echo backend behaves beyond the request's own asks. */
export interface EchoBackendOptions {
  /** Answer every request with this status (200–599), e.g. 503 for a failing endpoint. @default the request's `x-echo-status`, else 200 */
  readonly failWith?: number;
}

export class EchoBackend implements Closable {
  readonly name: string;
  /** Every request received, whatever its headers. */
  received = 0;
  /** Requests received per `x-meshproof-request` header value. */
  readonly attempts = new Map<string, number>();
  /** Requests whose Host ends with `-shadow` (mirrored copies), per `x-meshproof-request`. */
  readonly shadows = new Map<string, number>();
  private readonly server: Server;
  private boundPort = 0;

  constructor(readonly identity: EchoIdentity, readonly host: string, readonly port: number, options: EchoBackendOptions = {}) {
    this.name = `echo ${identity.namespace}/${identity.workload} ${host}:${port}${options.failWith !== undefined ? ` (failing ${options.failWith})` : ''}`;
    this.server = createServer((req, res) => {
      this.received++;
      const id = String(req.headers['x-meshproof-request'] ?? '');
      const shadow = String(req.headers.host ?? '').split(':')[0]!.endsWith('-shadow');
      const counter = shadow ? this.shadows : this.attempts;
      if (id !== '') counter.set(id, (counter.get(id) ?? 0) + 1);
      answerEcho(req, res, identity, { host: req.headers.host, path: req.url, method: req.method, shadow }, options.failWith);
    });
    this.server.keepAliveTimeout = 1000;
  }

  /** Binds; rejects naming the address when it is taken. */
  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => reject(new Error(`${this.name}: cannot listen (${e.code ?? e.message})${e.code === 'EADDRINUSE' ? ': the address is taken by another process' : ''}`));
      this.server.once('error', onError);
      this.server.listen({ host: this.host, port: this.port, exclusive: true }, () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
    return this;
  }

  get boundAddress(): string {
    return `${this.host}:${this.boundPort}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The parts of an HTTP/1.1 or HTTP/2 request and response an echo answer uses. */
interface EchoRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  resume(): unknown;
}
interface EchoResponse {
  readonly destroyed: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
}

/**
 * Answers one echo request, shared by verify's backends and `meshproof echo`: after
 * `x-echo-delay-ms` (milliseconds, capped at 60 s), with status `x-echo-status` (200–599, else 200),
 * a JSON body `{...identity, ...fields}` and the headers `x-meshproof-workload` (`ns/name`) and
 * `x-meshproof-version`. The request body is drained, not read. `statusOverride` replaces
 * `x-echo-status` (a backend told to fail).
 * @returns the status it answers (or will, after the delay) and the delay in ms
 */
export function answerEcho(req: EchoRequest, res: EchoResponse, identity: EchoIdentity, fields: Record<string, unknown>, statusOverride?: number): { status: number; delayMs: number } {
  const asked = Number(req.headers['x-echo-delay-ms'] ?? 0);
  const delay = Number.isFinite(asked) && asked > 0 ? Math.min(asked, 60_000) : 0;
  const wanted = statusOverride ?? Number(req.headers['x-echo-status'] ?? 200);
  const status = Number.isInteger(wanted) && wanted >= 200 && wanted <= 599 ? wanted : 200;
  const answer = () => {
    if (res.destroyed) return;
    const body = JSON.stringify({ ...identity, ...fields });
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-meshproof-workload': `${identity.namespace}/${identity.workload}`,
      'x-meshproof-version': identity.labels.version ?? '',
    });
    res.end(body);
  };
  req.resume();
  if (delay > 0) setTimeout(answer, delay);
  else answer();
  return { status, delayMs: delay };
}
