/**
 * Child of bench/proxy/ab.ts: runs the proxy of the checkout at argv[2] against the ADS server at
 * argv[3] as node argv[4], prints `ready <port>` once its listener serves, and exits on SIGTERM or
 * when its parent goes away (stdin closes).
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, ads, nodeId, listener] = process.argv.slice(2);
if (!root || !ads || !nodeId || !listener) {
  console.error('usage: ab-proxy.ts <checkout> <ads host:port> <node id> <listener name>');
  process.exit(2);
}
const { startProxy } = await import(pathToFileURL(join(resolve(root), 'src/proxy/main.ts')).href) as typeof import('../../src/proxy/main.js');
const proxy = await startProxy({ xds: ads, nodeId, admin: 'off', prometheus: 'off', readiness: 'off', log: () => {} });
await proxy.waitReady(20_000);
const at = proxy.listenerAddress(listener);
if (!at) { console.error(`no listener ${listener}`); process.exit(1); }
process.stdout.write(`ready ${at.port}\n`);
const stop = () => { void proxy.close().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
