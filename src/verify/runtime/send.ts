/** Sends HTTP/1.1 requests through a caller's sidecar listener and records what came back. */
import { randomUUID } from 'node:crypto';
import { Agent, request, type IncomingMessage } from 'node:http';
import type { RequestSpec } from '../expectations/types.js';

export interface Sent {
  /** HTTP status; 0 when the connection failed. */
  readonly status: number;
  /** `x-meshproof-version` of the echo backend that answered, or '' when no backend answered (fault, NR…). */
  readonly version: string;
  /** `namespace/workload` of the backend, or ''. */
  readonly workload: string;
  readonly elapsedMs: number;
  readonly error?: string;
  /** The answer carried `x-envoy-overloaded` (a circuit breaker overflowed, flag UO). */
  readonly overloaded?: boolean;
  /** The `x-request-id` it was sent with: the key of its access-log entries. */
  readonly requestId: string;
  /** Set when an inbound sidecar refused it (403 `RBAC: access denied`) and the caller's access log named the workload. */
  readonly deniedBy?: string;
}

/** What an answer says about where it came from: the echo backend's workload and version headers, `x-envoy-overloaded`. */
export function sentFrom(res: IncomingMessage, started: number, requestId: string): Sent {
  return {
    status: res.statusCode ?? 0,
    version: String(res.headers['x-meshproof-version'] ?? ''),
    workload: String(res.headers['x-meshproof-workload'] ?? ''),
    elapsedMs: performance.now() - started,
    requestId,
    ...(res.headers['x-envoy-overloaded'] !== undefined ? { overloaded: true } : {}),
  };
}

const agents = new Map<string, Agent>();

/** One request to `address:port` with the spec's Host, path, method and headers (plus `extra`). */
export function send(address: string, port: number, spec: RequestSpec, extra: Record<string, string> = {}, timeoutMs = 30_000): Promise<Sent> {
  let agent = agents.get(address);
  if (!agent) agents.set(address, (agent = new Agent({ keepAlive: true, maxSockets: 16 })));
  const started = performance.now();
  const requestId = extra['x-request-id'] ?? randomUUID();
  return new Promise((resolve) => {
    const req = request({
      host: address, port, path: spec.path, method: spec.method, agent, timeout: timeoutMs,
      headers: { ...spec.headers, ...extra, 'x-request-id': requestId, host: `${spec.host}:${port}` },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(sentFrom(res, started, requestId)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ status: 0, version: '', workload: '', elapsedMs: performance.now() - started, error: e.message, requestId }));
    req.end();
  });
}

/**
 * `n` requests one after another by default: a proof judges one promise, and concurrent requests
 * would also trip the cluster's circuit breakers (a promise of its own), answering 503 UO.
 */
export async function sendMany(address: string, port: number, spec: RequestSpec, n: number, extra: (i: number) => Record<string, string> = () => ({}), concurrency = 1): Promise<Sent[]> {
  const out: Sent[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await send(address, port, spec, extra(i));
    }
  }));
  return out;
}

/** Closes the keep-alive sockets to one address (a caller proxy about to stop). */
export function closeAgent(address: string): void {
  agents.get(address)?.destroy();
  agents.delete(address);
}

/** Closes the keep-alive sockets of every agent. */
export function closeAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}
