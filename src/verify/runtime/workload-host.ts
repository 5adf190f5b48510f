/**
 * Child-process entry of one workload for `meshproof verify --netns` (spawned by
 * `remote-workload.ts`, inside the workload's network namespace): its echo backends and, for a
 * sidecar workload, its inbound sidecar proxy following the verify process's ADS server. It talks
 * to its parent over the Node IPC channel only:
 *
 * - in: `{ type: 'start', … }` (a {@link HostStart}), later `{ type: 'stop' }`;
 * - out: `{ type: 'ready' }` or `{ type: 'error', message }`, and one `{ type: 'hit', port, id,
 *   shadow }` per request an echo backend received (before it answers), so the parent's ledgers
 *   count retries and mirrored copies as the in-process backends do.
 *
 * It stops (proxy drained, servers closed, exit 0) on `stop`, and on its own when the parent
 * goes away (the IPC channel closes), so a killed verify leaves no workload running.
 */
import { createServer, type Server } from 'node:http';
import { answerEcho, type EchoIdentity } from './echo.js';

/** The start message: what to run. */
export interface HostStart {
  readonly type: 'start';
  readonly identity: EchoIdentity;
  /** Address the echo backends bind (127.0.0.1 behind a sidecar, else the pod address). */
  readonly echoHost: string;
  readonly ports: readonly number[];
  /** The inbound sidecar: ADS address (`host:port`) and node id. */
  readonly proxy?: { readonly xds: string; readonly nodeId: string };
}

/** A message from the host to the verify process. */
export type HostMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'hit'; readonly port: number; readonly id: string; readonly shadow: boolean };

const sendToParent = (m: HostMessage) => process.send?.(m);
const closers: (() => Promise<void>)[] = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const c of closers.reverse()) await c().catch(() => undefined);
  }
  process.exit(code);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`echo ${host}:${port}: cannot listen (${e.code ?? e.message})`)));
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
}

async function start(m: HostStart): Promise<void> {
  for (const port of m.ports) {
    const server = createServer((req, res) => {
      const shadow = String(req.headers.host ?? '').split(':')[0]!.endsWith('-shadow');
      sendToParent({ type: 'hit', port, id: String(req.headers['x-meshproof-request'] ?? ''), shadow });
      answerEcho(req, res, m.identity, { host: req.headers.host, path: req.url, method: req.method, shadow });
    });
    server.keepAliveTimeout = 1000;
    closers.push(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
    await listen(server, m.echoHost, port);
  }
  if (m.proxy) {
    const lines: string[] = [];
    // Loaded only when a proxy runs here: it pulls in the generated Envoy messages.
    const { startProxy } = await import('../../proxy/main.js');
    const proxy = await startProxy({ xds: m.proxy.xds, nodeId: m.proxy.nodeId, admin: 'off', prometheus: 'off', readiness: 'off', log: (l) => lines.push(l), accessLog: () => undefined, drainTimeoutMs: 100 });
    closers.push(() => proxy.close());
    try {
      await proxy.waitReady(15_000);
    } catch {
      throw new Error(`the proxy ${m.proxy.nodeId} did not become ready within 15 s: ${lines.slice(-3).join(' | ') || 'no log'}`);
    }
    const nacks = proxy.ads.nacks.map((n) => n.message);
    if (nacks.length > 0) throw new Error(`the proxy ${m.proxy.nodeId} refused its config: ${nacks.join(' | ')}`);
  }
}

if (!process.send) {
  process.stderr.write('workload-host: run by meshproof verify --netns only (it needs an IPC channel to its parent)\n');
  process.exit(2);
}
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.on('message', (raw: unknown) => {
  const m = raw as { type?: string };
  if (m.type === 'stop') void stop(0);
  else if (m.type === 'start') {
    start(m as HostStart).then(() => sendToParent({ type: 'ready' }), (e: Error) => sendToParent({ type: 'error', message: e.message }));
  }
});
