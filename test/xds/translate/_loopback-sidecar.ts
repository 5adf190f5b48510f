/**
 * One translated sidecar listener served to the reference proxy on loopback: the listener moved to
 * 127.0.0.1 port 0 (bound), published alone through our ADS server, the proxy started on it and
 * awaited LIVE. Shared by the e2e tests that prove routes over real sockets.
 */
import type { Listener } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import type { ResourceSet } from '../../../src/xds/resources.js';
import { startTestProxy, startXds, until } from '../../proxy/_harness.js';

/** Moves `l` to 127.0.0.1, port 0, and lets it bind. */
export function onLoopback(l: Listener): void {
  const a = l.address!.address;
  if (a.case === 'socketAddress') { a.value.address = '127.0.0.1'; a.value.portSpecifier = { case: 'portValue', value: 0 }; }
  l.bindToPort = undefined;
}

/**
 * Serves `listeners` (some of `set`'s, each moved to loopback) with `set`'s other resources to a started reference
 * proxy, once it is LIVE; the ADS server and proxy are closed through `cleanups`. Returns the proxy.
 */
export async function serveListenersOnLoopback(set: ResourceSet, listeners: Listener[], cleanups: (() => unknown)[]): Promise<Awaited<ReturnType<typeof startTestProxy>>> {
  listeners.forEach((l) => { onLoopback(l); });
  const xds = await startXds({ ...set, listeners });
  cleanups.push(() => xds.close());
  const proxy = await startTestProxy(xds.port);
  cleanups.push(() => proxy.close());
  await until(() => proxy.state() === 'LIVE', 8000, `proxy LIVE (${proxy.diagnostics.join('; ')})`);
  return proxy;
}

/** {@link serveListenersOnLoopback} for one listener; also returns the port it bound. */
export async function serveOnLoopback(set: ResourceSet, listener: Listener, cleanups: (() => unknown)[]): Promise<{ proxy: Awaited<ReturnType<typeof startTestProxy>>; port: number }> {
  const proxy = await serveListenersOnLoopback(set, [listener], cleanups);
  return { proxy, port: proxy.listenerAddress(listener.name)!.port };
}
