/**
 * GAMMA for L4 over real sockets: a mesh TCPRoute (parentRef Service db) and TLSRoute (parentRef Service vault)
 * translated for the client sidecar, served by our ADS server to the reference proxy in front of raw TCP backends.
 * Bytes sent to db reach the TCPRoute's backend of weight > 0, not db's own pods; a ClientHello for vault's host
 * reaches the TLSRoute's backend, one with another SNI matches no chain and reaches nothing. Only the listener
 * addresses change (to 127.0.0.1:0).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { svc } from '../../mesh/view-fixtures.js';
import { serveListenersOnLoopback } from './_loopback-sidecar.js';
import { exchange, sendHello, tagged } from './_l4-ends.js';

type Obj = Record<string, unknown>;
const client = describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } });
const service = (name: string, ip: string, port: number, portName: string) => {
  const s = svc(name, 'shop', [{ port, name: portName, targetPort: 'app' }]) as { spec: Obj };
  s.spec.clusterIP = ip;
  return s;
};
const l4Route = (kind: 'TCPRoute' | 'TLSRoute', name: string, parent: string, backendRefs: Obj[]): Obj => ({
  apiVersion: kind === 'TCPRoute' ? 'gateway.networking.k8s.io/v1alpha2' : 'gateway.networking.k8s.io/v1', kind,
  metadata: { name, namespace: 'shop' }, spec: { parentRefs: [{ group: '', kind: 'Service', name: parent }], rules: [{ backendRefs }] },
});

test('GIVEN a mesh TCPRoute for db (primary weight 1, replica weight 0) and a TLSRoute for vault WHEN the client sidecar connects THEN db\'s bytes reach the primary only, vault\'s ClientHello with its host as SNI reaches vault-active, another SNI reaches nothing', async () => {
  const backends = { db: await tagged('db'), primary: await tagged('primary'), replica: await tagged('replica'), vault: await tagged('vault'), active: await tagged('active') };
  const cleanups: (() => unknown)[] = Object.values(backends).map((b) => () => b.close());
  try {
    const g = graphOf([
      service('db', '10.96.0.10', 5432, 'tcp-postgres'), service('db-primary', '10.96.0.11', 5432, 'tcp-postgres'), service('db-replica', '10.96.0.12', 5432, 'tcp-postgres'),
      service('vault', '10.96.0.20', 8200, 'tls'), service('vault-active', '10.96.0.21', 8200, 'tls'),
      l4Route('TCPRoute', 'db', 'db', [{ name: 'db-primary', port: 5432 }, { name: 'db-replica', port: 5432, weight: 0 }]),
      l4Route('TLSRoute', 'vault', 'vault', [{ name: 'vault-active', port: 8200 }]),
    ]);
    const endpoint = (name: string, port: number) => ({ name: `${name}-1`, namespace: 'shop', address: '127.0.0.1', labels: { app: name }, ports: { app: port } });
    const set = translateProxy(buildProxyView(g, client), [
      endpoint('db', backends.db.port), endpoint('db-primary', backends.primary.port), endpoint('db-replica', backends.replica.port),
      endpoint('vault', backends.vault.port), endpoint('vault-active', backends.active.port),
    ]);
    const listeners = set.listeners.filter((l) => l.name === '10.96.0.10_5432' || l.name === '10.96.0.20_8200');
    assert.equal(listeners.map((l) => l.name).sort(), ['10.96.0.10_5432', '10.96.0.20_8200']);
    const proxy = await serveListenersOnLoopback(set, listeners, cleanups);

    const db = proxy.listenerAddress('10.96.0.10_5432')!.port;
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) answers.add(await exchange(db));
    assert.equal([...answers], ['primary:ping'], proxy.diagnostics.join('; '));
    assert.equal([backends.db.received.length, backends.replica.received.length], [0, 0]);

    const vault = proxy.listenerAddress('10.96.0.20_8200')!.port;
    const tlsBackends = [backends.vault, backends.active];
    await sendHello(vault, 'vault.shop.svc.cluster.local', tlsBackends);
    assert.equal([backends.vault.received.length, backends.active.received.length > 0], [0, true], 'the TLSRoute sends the Service host\'s SNI to vault-active');
    const seen = backends.active.received.length;
    await sendHello(vault, 'other.example.com', tlsBackends);
    assert.equal([backends.vault.received.length, backends.active.received.length], [0, seen], 'an SNI the route does not name matches no chain');
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

test.run();
