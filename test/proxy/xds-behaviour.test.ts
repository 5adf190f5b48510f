/**
 * The proxy as an xDS client of our server over real gRPC: NACKs with precise error detail, last good
 * config kept when the server sends something bad or goes away, reconnection, and config changes
 * that do not drop requests in flight.
 */
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { anyPack } from '@bufbuild/protobuf/wkt';
import type * as http from 'node:http';
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RouterSchema } from '../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import type { ResourceSet } from '../../src/xds/resources.js';
import { AdsServer } from '../../src/xds/server/ads-server.js';
import { NODE, assignment, edsCluster, get, httpListener, routeConfig, startEcho, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.4';
const LUA = create(AnySchema, { typeUrl: 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', value: new Uint8Array() });
const ROUTER = { name: 'envoy.filters.http.router', configType: { case: 'typedConfig' as const, value: anyPack(RouterSchema, create(RouterSchema)) } };

function slowEcho(name: string, delayMs: number) {
  return startEcho(name, {
    handler: (req, res) => {
      if (!req.url?.startsWith('/slow')) return false;
      setTimeout(() => { (res as http.ServerResponse).writeHead(200, { 'x-backend': name }); res.end(name); }, delayMs);
      return true;
    },
  });
}

function set(cluster: 'a' | 'b', ports: Record<string, number>, listenerHcm = {}): ResourceSet {
  return {
    clusters: [edsCluster('a'), edsCluster('b')],
    endpoints: [assignment('a', [{ port: ports.a! }]), assignment('b', [{ port: ports.b! }])],
    listeners: [httpListener('l1', ADDR, 'r1', listenerHcm)],
    routes: [routeConfig('r1', [{ name: 'vh', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: cluster } } } }] }])],
  };
}

async function who(port: number, path = '/'): Promise<string> {
  const r = await get(port, path, { host: 'x.test' }, 'GET', undefined, ADDR);
  return r.headers['x-backend'] as string;
}

test('GIVEN a listener with a required filter the proxy does not have WHEN pushed THEN it is NACKed with the field path and the old listener keeps serving', async () => {
  const a = await startEcho('a');
  const b = await startEcho('b');
  const ports = { a: a.port, b: b.port };
  const xds = await startXds(set('a', ports));
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const { port } = proxy.listenerAddress('l1')!;
    assert.is(await who(port), 'a');
    const bad = set('b', ports, { httpFilters: [{ name: 'envoy.filters.http.lua', configType: { case: 'typedConfig', value: LUA } }, ROUTER] });
    xds.publish(bad);
    await until(() => xds.ads.status.nacks(NODE).length > 0, 3000, 'a NACK at the server');
    const nack = xds.ads.status.nacks(NODE)[0]!;
    assert.is(nack.typeUrl, 'type.googleapis.com/envoy.config.listener.v3.Listener');
    assert.is(nack.errorDetail.code, 3);
    assert.is(nack.errorDetail.message, 'Listener "l1": filter_chains[0].filters[0].http_filters[0].name: HTTP filter "envoy.filters.http.lua" (type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua) is not supported by this proxy and is not marked is_optional; supported: envoy.filters.http.cors, envoy.filters.http.fault, envoy.filters.http.rbac, istio.alpn, envoy.filters.http.ext_authz, envoy.filters.http.router');
    // The route change in the same push is valid and applied; the listener keeps its last good config.
    await until(() => proxy.store.routes.get('r1')?.version !== undefined, 1000);
    assert.is(await who(port), 'b');
    assert.is(proxy.listenerAddress('l1')!.port, port);
    // Marked optional, the same filter is skipped and the push is ACKed.
    xds.publish(set('b', ports, { httpFilters: [{ name: 'envoy.filters.http.lua', isOptional: true, configType: { case: 'typedConfig', value: LUA } }, ROUTER] }));
    await until(() => xds.ads.status.node(NODE, false)?.types.listener?.ackedVersion === xds.cache.getSnapshot(NODE)!.types.listener.version, 3000, 'the LDS ACK');
  } finally {
    await proxy.close();
    await xds.close();
    await a.close();
    await b.close();
  }
});

test('GIVEN a listener on an address already taken WHEN pushed THEN LDS is NACKed with the bind error and the other listeners serve', async () => {
  const a = await startEcho('a');
  const b = await startEcho('b');
  const ports = { a: a.port, b: b.port };
  const squatter = net.createServer();
  const taken = await new Promise<number>((r) => squatter.listen(0, ADDR, () => r((squatter.address() as net.AddressInfo).port)));
  const xds = await startXds(set('a', ports));
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const { port } = proxy.listenerAddress('l1')!;
    const base = set('a', ports);
    const next = { ...base, listeners: [...base.listeners, httpListener('l2', ADDR, 'r1', {}, taken)] };
    xds.publish(next);
    await until(() => xds.ads.status.nacks(NODE).length > 0, 3000, 'a NACK at the server');
    assert.is(xds.ads.status.nacks(NODE)[0]!.errorDetail.message, `Listener "l2": address: cannot bind ${ADDR}:${taken}: EADDRINUSE; choose a free address or port (stop the process that holds it; a second proxy on this host needs addresses of its own: ?bind= in its node id)`);
    assert.is(proxy.listenerAddress('l2'), undefined);
    assert.ok(!proxy.store.listeners.has('l2'), 'the unbindable listener is not kept as active');
    assert.is(await who(port), 'a');
  } finally {
    squatter.close();
    await proxy.close();
    await xds.close();
    await a.close();
    await b.close();
  }
});

test('GIVEN a route with a regex RE2 refuses WHEN published THEN the server refuses the snapshot naming the field (Envoy would NACK it), and the old routes serve', async () => {
  const a = await startEcho('a');
  const b = await startEcho('b');
  const ports = { a: a.port, b: b.port };
  const xds = await startXds(set('a', ports));
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const { port } = proxy.listenerAddress('l1')!;
    const bad = set('b', ports);
    bad.routes[0]!.virtualHosts[0]!.routes[0]!.match!.pathSpecifier = { case: 'safeRegex', value: create((await import('../../src/xds/gen/envoy/type/matcher/v3/regex_pb.js')).RegexMatcherSchema, { regex: '/(?<=x)y' }) };
    assert.throws(() => xds.publish(bad), /XDS_INVALID_REGEX RouteConfiguration "r1" virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex\.regex: Envoy refuses this resource \(NACK\): invalid RE2 regex "\/\(\?<=x\)y"/);
    assert.is(await who(port), 'a');
    assert.equal(proxy.ads.nacks, [], 'nothing was pushed');
  } finally {
    await proxy.close();
    await xds.close();
    await a.close();
    await b.close();
  }
});

test('GIVEN the xDS server goes away WHEN requests continue THEN the last good config serves, and after the server returns new config applies', async () => {
  const a = await startEcho('a');
  const b = await startEcho('b');
  const ports = { a: a.port, b: b.port };
  const xds = await startXds(set('a', ports));
  const proxy = await startTestProxy(xds.port);
  let second: AdsServer | undefined;
  try {
    await proxy.waitReady();
    const { port } = proxy.listenerAddress('l1')!;
    await xds.close();
    await until(() => !proxy.ads.connected, 3000, 'the stream to end');
    assert.is(await who(port), 'a');
    assert.is(proxy.state(), 'LIVE');
    xds.publish(set('b', ports));
    second = new AdsServer({ cache: xds.cache });
    await second.listen(`127.0.0.1:${xds.port}`);
    await until(() => proxy.store.routes.get('r1')!.resource.virtualHosts[0]!.routes[0]!.action.value !== undefined && proxy.ads.streams > 1 && proxy.ads.connected, 5000, 'a reconnect');
    await until(() => proxy.store.versions.get('route') === xds.cache.getSnapshot(NODE)!.types.route.version, 3000, 'the new routes');
    assert.is(await who(port), 'b');
    const lines = proxy.diagnostics.filter((l) => /reconnecting in|re-established/.test(l));
    assert.ok(lines.length >= 2 && /re-established$/.test(lines[lines.length - 1]!), `the log says the stream came back: ${lines.join(' | ')}`);
    assert.is(proxy.diagnostics.filter((l) => l.endsWith('re-established')).length, 1, 'said once');
  } finally {
    await proxy.close();
    await second?.close(100);
    await a.close();
    await b.close();
  }
});

test('GIVEN a slow request in flight WHEN routes and the listener change THEN it completes, and new requests follow the new config', async () => {
  const a = await slowEcho('a', 400);
  const b = await slowEcho('b', 0);
  const ports = { a: a.port, b: b.port };
  const xds = await startXds(set('a', ports));
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const { port } = proxy.listenerAddress('l1')!;
    const inflight = get(port, '/slow', { host: 'x.test' }, 'GET', undefined, ADDR);
    await new Promise((r) => setTimeout(r, 100));
    xds.publish(set('b', ports, { statPrefix: 'renamed' }));
    await until(() => proxy.store.versions.get('route') === xds.cache.getSnapshot(NODE)!.types.route.version && proxy.store.versions.get('listener') === xds.cache.getSnapshot(NODE)!.types.listener.version, 3000, 'the update');
    assert.is(await who(port), 'b');
    const r = await inflight;
    assert.is(r.status, 200);
    assert.is(r.body, 'a');
    assert.is(proxy.listenerAddress('l1')!.port, port, 'the listener was updated in place, not rebound');
  } finally {
    await proxy.close();
    await xds.close();
    await a.close();
    await b.close();
  }
});

test('GIVEN a slow request in flight WHEN its listener is removed THEN the listener stops accepting and the request still completes', async () => {
  const a = await slowEcho('a', 400);
  const b = await startEcho('b');
  const ports = { a: a.port, b: b.port };
  const xds = await startXds(set('a', ports));
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const { port } = proxy.listenerAddress('l1')!;
    const inflight = get(port, '/slow', { host: 'x.test' }, 'GET', undefined, ADDR);
    await new Promise((r) => setTimeout(r, 100));
    xds.publish({ ...set('a', ports), listeners: [], routes: [] });
    await until(() => proxy.listenerAddress('l1') === undefined, 3000, 'the listener to go');
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: ADDR, port });
      s.on('connect', () => { s.destroy(); resolve(false); });
      s.on('error', () => resolve(true));
    });
    assert.ok(refused, 'new connections are refused');
    const r = await inflight;
    assert.is(r.status, 200);
    assert.is(r.body, 'a');
  } finally {
    await proxy.close();
    await xds.close();
    await a.close();
    await b.close();
  }
});

test.run();
