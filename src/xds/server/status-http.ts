/**
 * Read-only HTTP view of the control plane, for people and tests:
 *   GET /status  → XdsStatusReport plus the snapshot version per node (JSON)
 *   GET /nacks   → every recorded NACK, oldest first (JSON)
 * Anything else is 404; methods other than GET are 405.
 */
import * as http from 'node:http';
import type { SnapshotCache } from '../snapshot-cache.js';
import type { XdsStatus } from './xds-status.js';

/** Extra top-level fields for `/status` (e.g. the publisher's last outcome), computed per request. */
export type StatusExtra = () => Record<string, unknown>;

/** The handler, for mounting in an existing server. */
export function statusHandler(status: XdsStatus, cache: SnapshotCache, extra?: StatusExtra): http.RequestListener {
  return function xdsStatusHandler(req, res) {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(body, null, 2)}\n`);
    };
    if (req.method !== 'GET') return reply(405, { error: `${req.method} not allowed; use GET` });
    if (path === '/status') {
      // A deferred snapshot (made when its node first connects) shows as `deferred`; reading the status makes none.
      const snapshots = Object.fromEntries(cache.nodeIds().map((id) => [id, cache.versionOf(id)]));
      return reply(200, { ...status.report(), snapshots, ...extra?.() });
    }
    if (path === '/nacks') return reply(200, status.nacks());
    return reply(404, { error: `no such path ${path}; try /status or /nacks` });
  };
}

/** Starts the status endpoint on `host:port` (port 0 picks one); resolves with the server once listening. */
export function listenStatus(status: XdsStatus, cache: SnapshotCache, host: string, port: number, extra?: StatusExtra): Promise<http.Server> {
  const server = http.createServer(statusHandler(status, cache, extra));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(server); });
  });
}
