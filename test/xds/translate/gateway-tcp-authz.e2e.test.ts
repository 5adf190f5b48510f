/**
 * A gateway's AuthorizationPolicy on its TCP server, over real sockets: istiod puts the network RBAC
 * filters before the `tcp_proxy` of a gateway's TCP chains (`buildCompleteNetworkFilters`), so a
 * DENY on the client's address closes the connection before any byte reaches the backend, and the
 * same server without that policy forwards. (The chain layout is in gateway-listeners.test.ts.)
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import type { Listener } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, gw, route, svc, vs } from '../../mesh/view-fixtures.js';
import { startTestProxy, startXds, until } from '../../proxy/_harness.js';

function onLoopback(l: Listener): void {
  const a = l.address!.address;
  if (a.case === 'socketAddress') { a.value.address = '127.0.0.1'; a.value.portSpecifier = { case: 'portValue', value: 0 }; }
}

/** Sends `ping` and resolves with what came back before the connection closed (empty when refused). */
function exchange(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.setTimeout(3000, () => s.destroy(new Error('timeout')));
    s.on('connect', () => s.write('ping'));
    s.on('data', (d) => { got += d.toString(); if (got === 'pong:ping') s.end(); });
    s.on('close', () => resolve(got));
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(got) : reject(e)));
  });
}

const setOf = (blocks: string[], backendPort: number) => {
  const g = graphOf([
    deploy('ingress', 'istio-system', { istio: 'ingressgateway' }),
    svc('db', 'prod', [{ port: 5432, name: 'tcp-db' }]),
    gw('edge', 'istio-system', [{ port: { number: 31400, name: 'tcp', protocol: 'TCP' }, hosts: ['*/db.example.com'] }]),
    vs('db', 'prod', { hosts: ['db.example.com'], gateways: ['istio-system/edge'], tcp: [{ route: [route('db', { port: { number: 5432 } })] }] }),
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'block', namespace: 'istio-system' },
      spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'DENY', rules: [{ from: [{ source: { ipBlocks: blocks } }] }] } },
  ]);
  const set = translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!), [
    { name: 'db-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'db' }, ports: { 'tcp-db': backendPort } },
  ]);
  set.listeners.forEach(onLoopback);
  return set;
};

test('GIVEN a gateway TCP server and a DENY AuthorizationPolicy on the client address WHEN a client connects through the reference proxy THEN the connection closes unanswered and the backend sees nothing; with the DENY on another range the bytes reach the backend', async () => {
  const accepted: net.Socket[] = [];
  const backend = net.createServer((s) => { accepted.push(s); s.on('data', (d) => s.write(`pong:${d}`)); });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as net.AddressInfo).port;
  const cleanups: (() => unknown)[] = [() => new Promise((r) => backend.close(r)), () => accepted.forEach((s) => s.destroy())];
  try {
    const xds = await startXds(setOf(['127.0.0.0/8'], backendPort));
    cleanups.push(() => xds.close());
    const proxy = await startTestProxy(xds.port, { role: 'gateway' });
    cleanups.push(() => proxy.close());
    await until(() => proxy.state() === 'LIVE', 8000, `proxy LIVE (${proxy.diagnostics.join('; ')})`);
    const port = proxy.listenerAddress('0.0.0.0_31400')!.port;

    assert.is(await exchange(port), '', 'denied: closed before any answer');
    assert.is(accepted.length, 0, 'the denied connection never reached the backend');

    xds.publish(setOf(['198.51.100.0/24'], backendPort));
    // The proxy applies the push on its own time (the listener may be rebound): connect until it has.
    let answer = '';
    for (let i = 0; i < 100 && answer !== 'pong:ping'; i++) {
      answer = await exchange(proxy.listenerAddress('0.0.0.0_31400')!.port);
      if (answer !== 'pong:ping') await new Promise((r) => setTimeout(r, 50));
    }
    assert.is(answer, 'pong:ping');
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

/** Opens a TLS connection with SNI `sni` and resolves when the gateway closed it or `hellos` grew (the backend got the ClientHello). */
function sendHello(port: number, sni: string, hellos: readonly unknown[]): Promise<void> {
  return new Promise<void>((resolve) => {
    const before = hellos.length;
    const c = tls.connect({ host: '127.0.0.1', port, servername: sni, rejectUnauthorized: false });
    const timer = setTimeout(() => done(), 3000);
    const poll = setInterval(() => { if (hellos.length > before) done(); }, 10);
    function done() { clearInterval(poll); clearTimeout(timer); c.destroy(); resolve(); }
    c.on('error', done);
    c.on('close', done);
  });
}

/** A gateway with a PASSTHROUGH server for a.example.com and an ALLOW policy on `connection.sni` (`null`: none). */
const passthroughOf = (sni: string | null, backendPort: number) => {
  const g = graphOf([
    deploy('ingress', 'istio-system', { istio: 'ingressgateway' }),
    svc('a', 'prod', [{ port: 8443, name: 'tls' }]),
    gw('edge', 'istio-system', [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*/a.example.com'], tls: { mode: 'PASSTHROUGH' } }]),
    vs('a', 'prod', { hosts: ['a.example.com'], gateways: ['istio-system/edge'], tls: [{ match: [{ sniHosts: ['a.example.com'] }], route: [route('a', { port: { number: 8443 } })] }] }),
    ...(sni === null ? [] : [{ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'by-sni', namespace: 'istio-system' },
      spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'ALLOW', rules: [{ when: [{ key: 'connection.sni', values: [sni] }] }] } }]),
  ]);
  const set = translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!), [
    { name: 'a-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'a' }, ports: { tls: backendPort } },
  ]);
  set.listeners.forEach(onLoopback);
  return set;
};

test('GIVEN a gateway PASSTHROUGH server and an ALLOW AuthorizationPolicy on connection.sni WHEN a client sends that SNI through the reference proxy THEN its ClientHello reaches the backend (Envoy reads requested_server_name from tls_inspector, not from a TLS it does not terminate); with the ALLOW on another SNI nothing does', async () => {
  const hellos: net.Socket[] = [];
  const backend = net.createServer((s) => s.once('data', () => hellos.push(s)));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as net.AddressInfo).port;
  const cleanups: (() => unknown)[] = [() => new Promise((r) => backend.close(r)), () => hellos.forEach((s) => s.destroy())];
  const hello = (port: number) => sendHello(port, 'a.example.com', hellos);
  try {
    const xds = await startXds(passthroughOf('a.example.com', backendPort));
    cleanups.push(() => xds.close());
    const proxy = await startTestProxy(xds.port, { role: 'gateway' });
    cleanups.push(() => proxy.close());
    await until(() => proxy.state() === 'LIVE', 8000, `proxy LIVE (${proxy.diagnostics.join('; ')})`);
    await hello(proxy.listenerAddress('0.0.0.0_443')!.port);
    assert.is(hellos.length, 1, 'the allowed SNI reaches the backend');

    xds.publish(passthroughOf('b.example.com', backendPort));
    // The proxy applies the push on its own time: connect until a hello no longer gets through.
    for (let i = 0, before = -1; i < 100 && before !== hellos.length; i++) { before = hellos.length; await hello(proxy.listenerAddress('0.0.0.0_443')!.port); }
    const reached = hellos.length;
    await hello(proxy.listenerAddress('0.0.0.0_443')!.port);
    assert.is(hellos.length, reached, 'a refused SNI never reaches the backend');
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

test('GIVEN a gateway PASSTHROUGH server whose one chain matches server_names a.example.com WHEN a client sends another SNI through the reference proxy THEN no chain matches and nothing reaches the backend, as Envoy; a.example.com does', async () => {
  const hellos: net.Socket[] = [];
  const backend = net.createServer((s) => s.once('data', () => hellos.push(s)));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as net.AddressInfo).port;
  const cleanups: (() => unknown)[] = [() => new Promise((r) => backend.close(r)), () => hellos.forEach((s) => s.destroy())];
  try {
    const xds = await startXds(passthroughOf(null, backendPort));
    cleanups.push(() => xds.close());
    const proxy = await startTestProxy(xds.port, { role: 'gateway' });
    cleanups.push(() => proxy.close());
    await until(() => proxy.state() === 'LIVE', 8000, `proxy LIVE (${proxy.diagnostics.join('; ')})`);
    const port = proxy.listenerAddress('0.0.0.0_443')!.port;
    await sendHello(port, 'other.example.com', hellos);
    assert.is(hellos.length, 0, 'an SNI no chain matches is closed');
    await sendHello(port, 'a.example.com', hellos);
    assert.is(hellos.length, 1, 'the chain\'s SNI is forwarded');
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

test.run();
