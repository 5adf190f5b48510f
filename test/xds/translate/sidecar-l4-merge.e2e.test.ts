/**
 * Sidecar TCP and TLS chains merged across VirtualServices over real sockets: istiod takes the `tcp` and `tls`
 * routes of every VirtualService of a host (getConfigsForHost), so a newer VirtualService's tcp route applies where
 * the older one has only http routes, and a newer one's TLS route with another SNI gets its own chain beside the
 * older one's. Translated for the client sidecar, served by our ADS server to the reference proxy in front of raw
 * TCP backends; only the listener addresses change (to 127.0.0.1:0).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { svc, vs } from '../../mesh/view-fixtures.js';
import { serveListenersOnLoopback } from './_loopback-sidecar.js';
import { exchange, sendHello, tagged } from './_l4-ends.js';

type Obj = Record<string, unknown>;
const client = describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } });
const service = (name: string, ip: string, port: number, portName: string) => {
  const s = svc(name, 'shop', [{ port, name: portName, targetPort: 'app' }]) as { spec: Obj };
  s.spec.clusterIP = ip;
  return s;
};
const at = (month: number) => ({ creationTimestamp: `2025-0${month}-01T00:00:00Z` });

test('GIVEN an older VirtualService for db with only http routes and a newer one with a tcp route, and two VirtualServices for vault with tls routes of different SNI WHEN the client sidecar connects THEN db\'s bytes reach the newer one\'s backend, and each SNI reaches its own VirtualService\'s backend', async () => {
  const backends = { db: await tagged('db'), primary: await tagged('primary'), vault: await tagged('vault'), active: await tagged('active'), standby: await tagged('standby') };
  const cleanups: (() => unknown)[] = Object.values(backends).map((b) => () => b.close());
  try {
    const g = graphOf([
      service('db', '10.96.0.10', 5432, 'tcp-postgres'), service('db-primary', '10.96.0.11', 5432, 'tcp-postgres'),
      service('vault', '10.96.0.20', 8200, 'tls'), service('vault-active', '10.96.0.21', 8200, 'tls'), service('vault-standby', '10.96.0.22', 8200, 'tls'),
      vs('db-http', 'shop', { hosts: ['db'], http: [{ route: [{ destination: { host: 'db' } }] }] }, at(1)),
      vs('db-tcp', 'shop', { hosts: ['db'], tcp: [{ route: [{ destination: { host: 'db-primary' } }] }] }, at(2)),
      vs('vault', 'shop', { hosts: ['vault'], tls: [{ match: [{ sniHosts: ['vault.shop.svc.cluster.local'] }], route: [{ destination: { host: 'vault-active' } }] }] }, at(1)),
      vs('vault-dr', 'shop', { hosts: ['vault', 'vault-dr.example.com'], tls: [{ match: [{ sniHosts: ['vault-dr.example.com'] }], route: [{ destination: { host: 'vault-standby' } }] }] }, at(2)),
    ]);
    const endpoint = (name: string, port: number) => ({ name: `${name}-1`, namespace: 'shop', address: '127.0.0.1', labels: { app: name }, ports: { app: port } });
    const set = translateProxy(buildProxyView(g, client), [
      endpoint('db', backends.db.port), endpoint('db-primary', backends.primary.port),
      endpoint('vault', backends.vault.port), endpoint('vault-active', backends.active.port), endpoint('vault-standby', backends.standby.port),
    ]);
    const listeners = set.listeners.filter((l) => l.name === '10.96.0.10_5432' || l.name === '10.96.0.20_8200');
    assert.equal(listeners.map((l) => l.name).sort(), ['10.96.0.10_5432', '10.96.0.20_8200']);
    const proxy = await serveListenersOnLoopback(set, listeners, cleanups);

    const db = proxy.listenerAddress('10.96.0.10_5432')!.port;
    assert.is(await exchange(db), 'primary:ping', proxy.diagnostics.join('; '));
    assert.is(backends.db.received.length, 0);

    const vault = proxy.listenerAddress('10.96.0.20_8200')!.port;
    const tlsBackends = [backends.vault, backends.active, backends.standby];
    await sendHello(vault, 'vault.shop.svc.cluster.local', tlsBackends);
    assert.equal([backends.active.received.length > 0, backends.standby.received.length], [true, 0], 'the older VirtualService\'s SNI');
    await sendHello(vault, 'vault-dr.example.com', tlsBackends);
    assert.ok(backends.standby.received.length > 0, 'the newer VirtualService\'s SNI has a chain of its own');
    assert.is(backends.vault.received.length, 0);
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

test.run();
