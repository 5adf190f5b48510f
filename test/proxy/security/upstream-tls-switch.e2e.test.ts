/**
 * A CDS update that changes a cluster's transport socket takes effect on the next request: the pools
 * opened under the old setting (plaintext or TLS) are not reused. Real proxy, real ADS, a backend that
 * answers both plaintext HTTP and HTTPS on one port and says which one it saw.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createExtensions } from '../../../src/proxy/extensions.js';
import { get, startTestProxy, startXds } from '../_harness.js';
import { chain, hcm, listener, staticCluster } from './_e2e.js';
import { testPki } from './_pki.js';

/** One port, both protocols: a first byte 0x16 (TLS handshake) is terminated with `cert`. Answers "tls" or "plain". */
async function dualBackend(cert: { certificateChainPem: string; privateKeyPem: string }): Promise<{ port: number; close(): void }> {
  const web = http.createServer((req, res) => res.end((req.socket as tls.TLSSocket).encrypted ? 'tls' : 'plain'));
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    raw.once('readable', () => {
      const first = raw.read(1) as Buffer | null;
      if (!first) return;
      raw.unshift(first);
      if (first[0] === 0x16) {
        const t = new tls.TLSSocket(raw, { isServer: true, cert: cert.certificateChainPem, key: cert.privateKeyPem });
        t.on('error', () => raw.destroy());
        web.emit('connection', t);
      } else web.emit('connection', raw);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => { for (const s of sockets) s.destroy(); srv.close(); web.close(); } };
}

test('GIVEN a cluster switched plaintext → TLS → plaintext by new snapshots WHEN the next request goes out THEN it uses the new transport each time', async () => {
  const pki = await testPki();
  const backend = await dualBackend(await pki.server('web.example.com'));
  const tlsCtx = { sni: 'web.example.com', commonTlsContext: { validationContext: { trustedCa: { inlineString: pki.ca.rootCertificatePem } } } };
  const set = (withTls: boolean) => ({
    clusters: [staticCluster('web', [backend.port], withTls ? { tls: tlsCtx } : {})], endpoints: [], routes: [], secrets: [],
    listeners: [listener('in', [chain('plain', {}, [hcm('web')])])],
  });
  const xds = await startXds(set(false));
  const proxy = await startTestProxy(xds.port, { extensions: createExtensions() });
  const clusterHasTls = () => proxy.store.clusters.get('web')?.compiled.source.transportSocket !== undefined;
  const settle = () => new Promise((r) => setTimeout(r, 50));
  try {
    await proxy.waitReady(30_000);
    const port = proxy.listenerAddress('in')!.port;
    const first = await get(port, '/', { host: 'web' });
    assert.is(first.body, 'plain', JSON.stringify(first));
    assert.is((await get(port, '/', { host: 'web' })).body, 'plain'); // the keep-alive connection is reused

    xds.publish(set(true));
    const deadline = Date.now() + 30_000;
    while (!clusterHasTls()) { if (Date.now() > deadline) throw new Error('TLS cluster not accepted'); await settle(); }
    await settle();
    const afterTls = await get(port, '/', { host: 'web' });
    assert.is(afterTls.status, 200, JSON.stringify(afterTls));
    assert.is(afterTls.body, 'tls', 'after the cluster switched to TLS the next request must be encrypted');

    xds.publish(set(false));
    const deadline2 = Date.now() + 30_000;
    while (clusterHasTls()) { if (Date.now() > deadline2) throw new Error('plaintext cluster not accepted'); await settle(); }
    await settle();
    assert.is((await get(port, '/', { host: 'web' })).body, 'plain', 'after the switch back the next request must be plaintext');
  } finally {
    await proxy.close();
    await xds.close();
    backend.close();
  }
});

test('GIVEN transport_socket_matches WHEN an endpoint\'s tlsMode metadata changes (auto mTLS on, then off) THEN the next request to that same address follows it', async () => {
  const pki = await testPki();
  const backend = await dualBackend(await pki.server('web.example.com'));
  const tlsCtx = { sni: 'web.example.com', commonTlsContext: { validationContext: { trustedCa: { inlineString: pki.ca.rootCertificatePem } } } };
  const set = (istio: boolean) => ({
    clusters: [staticCluster('web', [backend.port], { matches: [{ name: 'tlsMode-istio', match: { tlsMode: 'istio' }, tls: tlsCtx }, { name: 'tlsMode-disabled', match: {} }], metadata: [istio ? { tlsMode: 'istio' } : undefined] })],
    endpoints: [], routes: [], secrets: [], listeners: [listener('in', [chain('plain', {}, [hcm('web')])])],
  });
  const xds = await startXds(set(false));
  const proxy = await startTestProxy(xds.port, { extensions: createExtensions() });
  const labelled = () => proxy.store.clusters.get('web')?.compiled.staticHosts[0]?.transportSocketMatch !== undefined;
  const waitFor = async (want: boolean) => {
    const deadline = Date.now() + 30_000;
    while (labelled() !== want) { if (Date.now() > deadline) throw new Error(`metadata ${want ? 'set' : 'cleared'} not accepted`); await new Promise((r) => setTimeout(r, 20)); }
    await new Promise((r) => setTimeout(r, 50));
  };
  try {
    await proxy.waitReady(30_000);
    const port = proxy.listenerAddress('in')!.port;
    assert.is((await get(port, '/', { host: 'web' })).body, 'plain');
    xds.publish(set(true));
    await waitFor(true);
    assert.is((await get(port, '/', { host: 'web' })).body, 'tls', 'tlsMode: istio selects the TLS socket for the next request');
    xds.publish(set(false));
    await waitFor(false);
    assert.is((await get(port, '/', { host: 'web' })).body, 'plain');
  } finally {
    await proxy.close();
    await xds.close();
    backend.close();
  }
});

test.run();
