/**
 * Read-only HTTP view of the control plane, for people and tests:
 *   GET /status            → XdsStatusReport (per node over mTLS also `peerIdentities` and the SDS
 *                            secrets withheld from them, `refusedSecrets`), the snapshot version per node (`deferred` for one made
 *                            only when its node connects) and, under `nodeSnapshots`, the nodes with
 *                            more to say: a deferred one that was made before (the version its streams
 *                            were sent), one whose newest snapshot failed (why, and what it serves),
 *                            one with a newer snapshot pending after a failure (`previousFailure`)
 *   GET /status?node=<id>  → what the cache holds for that node, making nothing: the made snapshot
 *                            (version, per type the version and resource names) and, when a newer one
 *                            waits for the node, `pending` (since when, how many fallbacks); any failure
 *   GET /status?node=<id>&make=1 → makes a pending snapshot first, as a connecting stream would (on a
 *                            fresh 1,000-service graph that can take a second or more of CPU), then as above
 *   GET /nacks             → every recorded NACK, oldest first (JSON)
 * Anything else is 404 (a `make` other than 1/true/0/false is 400); methods other than GET are 405.
 */
import * as http from 'node:http';
import { PUSH_ORDER } from '../resources.js';
import type { NodeSnapshotInfo, SnapshotCache } from '../snapshot-cache.js';
import type { XdsStatus } from './xds-status.js';

/** Extra top-level fields for `/status` (e.g. the publisher's last outcome), computed per request. */
export type StatusExtra = () => Record<string, unknown>;

/** The handler, for mounting in an existing server. */
export function statusHandler(status: XdsStatus, cache: SnapshotCache, extra?: StatusExtra): http.RequestListener {
  return function xdsStatusHandler(req, res) {
    const url = new URL(req.url ?? '/', 'http://status');
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(body, null, 2)}\n`);
    };
    if (req.method !== 'GET') return reply(405, { error: `${req.method} not allowed; use GET` });
    if (url.pathname === '/status') {
      const node = url.searchParams.get('node');
      if (node !== null) {
        const make = url.searchParams.get('make');
        if (make !== null && !/^(1|true|0|false)$/.test(make)) return reply(400, { error: `make=${make}: use make=1 to make the node's pending snapshot now (as a connecting stream would), or leave it out to read without making anything` });
        return reply(...nodeReport(cache, node, make === '1' || make === 'true'));
      }
      // Reading the status makes no deferred snapshot (?node= does, for one node).
      const ids = cache.nodeIds();
      const snapshots = Object.fromEntries(ids.map((id) => [id, cache.versionOf(id)]));
      const report = status.report();
      const nodeSnapshots: Record<string, NodeSnapshotInfo> = {};
      for (const id of new Set([...ids, ...report.nodes.map((n) => n.nodeId)])) {
        const info = cache.info(id);
        if (info && (info.failure || info.previousFailure || (info.deferredSince && info.version))) nodeSnapshots[id] = info;
      }
      return reply(200, { ...report, snapshots, nodeSnapshots, ...extra?.() });
    }
    if (url.pathname === '/nacks') return reply(200, status.nacks());
    return reply(404, { error: `no such path ${url.pathname}; try /status, /status?node=<node id> or /nacks` });
  };
}

/**
 * `/status?node=<id>`: the node's made snapshot and, when a newer one waits for the node, `pending`;
 * with `make`, the pending one is made first (as a connecting stream would). 404 naming what exists
 * when the node has none.
 */
function nodeReport(cache: SnapshotCache, id: string, make: boolean): [number, unknown] {
  if (!cache.has(id)) {
    const info = cache.info(id);
    return [404, { error: `no snapshot for node "${id}"; node ids with one are listed under "snapshots" in /status`, ...(info ? { node: info } : {}) }];
  }
  const snapshot = make ? cache.getSnapshot(id) : cache.madeSnapshot(id);
  const info = cache.info(id);
  const types = snapshot && Object.fromEntries(PUSH_ORDER.map((k) => [k, { version: snapshot.types[k].version, resources: [...snapshot.types[k].resources.keys()] }]));
  const pending = info?.deferredSince && {
    since: info.deferredSince,
    ...(info.fallbacks ? { fallbacks: info.fallbacks } : {}),
    note: `a newer snapshot waits for the node: it is made when the node connects, or now with GET /status?node=${encodeURIComponent(id)}&make=1${snapshot ? '; version and types are of the last snapshot made for it (what it was sent if it was connected then, else the config it falls back on should the newer one fail)' : ''}`,
  };
  return [200, {
    nodeId: id, version: snapshot?.version ?? null,
    ...(pending ? { pending } : {}),
    ...(types ? { types } : {}),
    ...(info?.failure ? { failure: info.failure } : {}),
    ...(info?.previousFailure ? { previousFailure: info.previousFailure } : {}),
  }];
}

/** Starts the status endpoint on `host:port` (port 0 picks one); resolves with the server once listening. */
export function listenStatus(status: XdsStatus, cache: SnapshotCache, host: string, port: number, extra?: StatusExtra): Promise<http.Server> {
  const server = http.createServer(statusHandler(status, cache, extra));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(server); });
  });
}
