/**
 * `meshproof echo --namespace <ns> --workload <name> [--label k=v]... [--listen <host:port>]... [--log]`:
 * the in-cluster echo backend of one workload version. Answers every request, over HTTP/1.1 and
 * prior-knowledge HTTP/2 (h2c) on the same port, with who it is: a JSON body
 * `{namespace, workload, labels, host, path, method, protocol}` and the headers
 * `x-meshproof-workload: <ns>/<name>` and `x-meshproof-version: <labels.version>`, the same answer as
 * verify's embedded echo backend (`src/verify/runtime/echo.ts`). `x-echo-status: 503` answers that
 * status; `x-echo-delay-ms: 1500` waits first (at most 60 s). `--log` prints one line per request
 * on stdout (`requestLine`). Runs until SIGTERM/SIGINT, exit 0.
 */
import { createServer as createH1, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createTcp, type Server, type Socket } from 'node:net';
import { EXIT_OK, type ExitCode } from '../checks/exit-code.js';
import { parseArgs } from './args.js';
import type { CliIO } from './io.js';
import { UsageError } from './usage.js';
import { answerEcho, type EchoIdentity } from '../verify/runtime/echo.js';

export type { EchoIdentity };

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * One TCP server per address that hands each connection to an HTTP/1.1 or an h2c server by its
 * first bytes (the HTTP/2 connection preface, RFC 9113 §3.4). Resolves once every address is bound;
 * rejects naming an address that cannot be bound.
 */
export async function startEcho(identity: EchoIdentity, listen: readonly { host: string; port: number }[], log?: (line: string) => void): Promise<{ ports: number[]; close(): Promise<void> }> {
  const handler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    const host = req.headers[':authority'] ?? req.headers.host;
    const protocol = `HTTP/${req.httpVersion}`;
    const answered = answerEcho(req, res, identity, { host, path: req.url, method: req.method, protocol });
    log?.(requestLine(new Date(), req.method ?? '', String(host ?? ''), req.url ?? '', protocol, answered, req.headers));
  };
  const h1 = createH1(handler);
  const h2 = createH2(handler);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const route = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      const n = Math.min(first.length, H2_PREFACE.length);
      // node:http2 takes over the handle and replays the bytes put back only while the socket is
      // paused; node:http reads through 'data' events and needs it flowing.
      if (first.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return void h2.emit('connection', socket);
      h1.emit('connection', socket);
      socket.resume();
    });
  };
  const ports: number[] = [];
  try {
    for (const { host, port } of listen) {
      const server = createTcp(route);
      servers.push(server);
      ports.push(await new Promise<number>((resolve, reject) => {
        server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`echo: cannot listen on ${host}:${port} (${e.code ?? e.message})`)));
        server.listen({ host, port }, () => resolve((server.address() as { port: number }).port));
      }));
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  return {
    ports,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

/**
 * `2026-11-30T18:00:00.000Z GET reviews:9080/x HTTP/1.1 -> 503 after 1500 ms (shadow) x-request-id=…`:
 * one request as `--log` prints it when it arrives (the status it answers, and the delay first).
 * A mirrored copy (Host `…-shadow`) is marked; `x-request-id` ties it to the proxies' access logs.
 */
export function requestLine(at: Date, method: string, host: string, path: string, protocol: string, answered: { status: number; delayMs: number }, headers: Readonly<Record<string, string | string[] | undefined>>): string {
  const shadow = host.split(':')[0]!.endsWith('-shadow') ? ' (shadow)' : '';
  const id = headers['x-request-id'];
  return `${at.toISOString()} ${method} ${host}${path} ${protocol} -> ${answered.status}${answered.delayMs > 0 ? ` after ${answered.delayMs} ms` : ''}${shadow}${id !== undefined ? ` x-request-id=${String(id)}` : ''}`;
}

function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(v);
  if (!m || Number(m[3]) > 65535) throw new UsageError(`echo: --listen "${v}" is not <host>:<port> (e.g. 0.0.0.0:9080; port 0 picks a free one)`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}

export async function echoCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { values } = parseArgs({
    args, strict: true,
    options: { namespace: { type: 'string' }, workload: { type: 'string' }, label: { type: 'string', multiple: true }, listen: { type: 'string', multiple: true }, log: { type: 'boolean', default: false } },
  });
  if (!values.namespace || !values.workload) throw new UsageError('echo: --namespace <ns> and --workload <name> are required (who the backend says it is)');
  const labels: Record<string, string> = {};
  for (const l of values.label ?? []) {
    const i = l.indexOf('=');
    if (i <= 0) throw new UsageError(`echo: --label "${l}" is not key=value (e.g. version=v1)`);
    labels[l.slice(0, i)] = l.slice(i + 1);
  }
  const listen = (values.listen?.length ? values.listen : ['0.0.0.0:8080']).map(parseListen);
  let echo: Awaited<ReturnType<typeof startEcho>>;
  try {
    echo = await startEcho({ namespace: values.namespace, workload: values.workload, labels }, listen, values.log ? (line) => io.stdout.write(`${line}\n`) : undefined);
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  io.stderr.write(`echo: ${values.namespace}/${values.workload} (${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',') || 'no labels'}) on ${listen.map((l, i) => `${l.host}:${echo.ports[i]}`).join(', ')}, HTTP/1.1 and h2c\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await echo.close();
  return EXIT_OK;
}
