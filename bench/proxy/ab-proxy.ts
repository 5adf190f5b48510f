/**
 * Child of bench/proxy/ab.ts: runs one checkout's proxy against the ADS server at argv[0] as node
 * argv[1], prints `ready <port>` once the listener argv[2] serves, and exits on SIGTERM or when its
 * parent goes away (stdin closes). ab.ts bundles this with the checkout's src/proxy/main.ts (esbuild,
 * as bench/proxy/bundle.ts bundles the CLI), so both variants run compiled JavaScript as users do:
 * under tsx every closure made per request would pay tsx's `__name` helper (keepNames).
 */
import type { startProxy as StartProxy } from '../../src/proxy/main.js';

/** Starts the proxy with `startProxy` (the checkout's) and serves until told to stop. */
export async function runAbProxy(startProxy: typeof StartProxy, argv: readonly string[]): Promise<void> {
  const [ads, nodeId, listener] = argv;
  if (!ads || !nodeId || !listener) {
    console.error('usage: ab-proxy <ads host:port> <node id> <listener name>');
    process.exit(2);
  }
  const proxy = await startProxy({ xds: ads, nodeId, admin: 'off', prometheus: 'off', readiness: 'off', log: () => {} });
  await proxy.waitReady(20_000);
  const at = proxy.listenerAddress(listener);
  if (!at) { console.error(`no listener ${listener}`); process.exit(1); }
  process.stdout.write(`ready ${at.port}\n`);
  const stop = () => { void proxy.close().finally(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}
