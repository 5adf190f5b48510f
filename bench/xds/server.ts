/**
 * bench/xds server process: the ADS server alone, so its RSS and CPU are its own. Driven over IPC by
 * run.ts: {cmd:'publish', nodes, routeWeight} → {published: <epoch ms>, version}; {cmd:'measure', gc?} →
 * {rss, heap, cpuMs, streams} (gc: false skips the forced GC).
 */
import { AdsServer } from '../../src/xds/server/ads-server.js';
import { SnapshotCache } from '../../src/xds/snapshot-cache.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { benchResources } from './resources.js';

const cache = new SnapshotCache();
const server = new AdsServer({ cache });
const port = await server.listen('127.0.0.1:0');
const gc = (globalThis as { gc?: () => void }).gc;
const now = () => performance.timeOrigin + performance.now();

process.on('message', (msg: { cmd: string; nodes?: number; weight?: number; gc?: boolean }) => {
  if (msg.cmd === 'publish') {
    const snapshot = createSnapshot(benchResources(msg.weight!));
    const published = now();
    for (let i = 0; i < msg.nodes!; i++) cache.setSnapshot(`proxy-${i}`, snapshot);
    process.send!({ published, version: snapshot.types.route.version, publishMs: now() - published });
  } else if (msg.cmd === 'measure') {
    // The forced GC runs before the CPU reading, so no interval between readings includes it.
    if (msg.gc !== false) { gc?.(); gc?.(); }
    const cpu = process.cpuUsage();
    process.send!({ rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, cpuMs: (cpu.user + cpu.system) / 1000, streams: server.streamCount });
  } else if (msg.cmd === 'stop') {
    void server.close(200).then(() => process.exit(0));
  }
});
process.send!({ port });
