/**
 * What `verify --runtime` reads from proxies and workloads it did not start: a caller's readiness
 * (`/ready` on its admin server), its access log (`/access_log`, entries as JSON), and whether a
 * workload's inbound port accepts connections.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { AccessLogEntry } from '../../proxy/access-log.js';

function get(hostPort: string, path: string, timeoutMs = 5000): Promise<{ status: number; body: string } | { error: string }> {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve) => {
    const req = request({ host: hostPort.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(i + 1)), path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

/** The caller's latest access-log entries; rejects naming the admin address when they cannot be read. */
export async function remoteAccessLog(admin: string): Promise<readonly AccessLogEntry[]> {
  const r = await get(admin, '/access_log');
  if ('error' in r) throw new Error(`cannot read the access log at http://${admin}/access_log: ${r.error}`);
  if (r.status !== 200) throw new Error(`http://${admin}/access_log answered ${r.status}: ${r.body.trim()}`);
  return (JSON.parse(r.body) as { entries: AccessLogEntry[] }).entries;
}

/** Polls until `probe` resolves true or `deadline` (epoch ms) passes; the last failure reason on timeout. */
async function until(deadline: number, probe: () => Promise<true | string>): Promise<true | string> {
  for (;;) {
    const r = await probe();
    if (r === true || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
}

/** Waits until the proxy's admin `/ready` answers 200 (LIVE); else why not. */
export function waitCallerReady(admin: string, deadline: number): Promise<true | string> {
  return until(deadline, async () => {
    const r = await get(admin, '/ready', 2000);
    return 'error' in r ? `admin ${admin}: ${r.error}` : r.status === 200 ? true : `admin ${admin}/ready: ${r.status} ${r.body.trim()}`;
  });
}

/** Waits until `address:port` accepts a TCP connection; else why not. */
export function waitPortOpen(address: string, port: number, deadline: number): Promise<true | string> {
  return until(deadline, () => new Promise((resolve) => {
    const s = connect({ host: address, port, timeout: 2000 });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('timeout', () => { s.destroy(); resolve(`${address}:${port}: no connection within 2 s`); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(`${address}:${port}: ${e.code ?? e.message}`));
  }));
}
