/**
 * HTTP/2 end to end: a gRPC client over h2c and over TLS (ALPN h2) through the proxy to a gRPC
 * backend on an HTTP/2 cluster, trailers and status included; HTTP/1.1 over TLS (ALPN http/1.1) on
 * the same listener; gRPC local replies in gRPC form.
 */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as https from 'node:https';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TransportSocketSchema } from '../../src/xds/gen/envoy/config/core/v3/base_pb.js';
import { DownstreamTlsContextSchema } from '../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { createCa, issueServerCertificate } from '../../src/pki/index.js';
import { WHO_PATH, startBackend, who } from '../xds/_backends.js';
import { assignment, edsCluster, httpListener, routeConfig, startEcho, startTestProxy, startXds } from './_harness.js';

const ADDR = '127.0.9.5';
const identity = (b: Buffer) => b;

test('GIVEN a gRPC backend on an HTTP/2 cluster WHEN a gRPC client calls through h2c and TLS listeners THEN the calls succeed, and failures come back as gRPC statuses', async () => {
  const backend = await startBackend('grpc-backend');
  const web = await startEcho('web');
  const ca = await createCa({ trustDomain: 'cluster.local' });
  const cert = await issueServerCertificate(ca, { dnsNames: ['proxy.test'] });
  const tlsListener = httpListener('tls', ADDR, 'routes');
  tlsListener.filterChains[0]!.transportSocket = create(TransportSocketSchema, {
    name: 'envoy.transport_sockets.tls',
    configType: { case: 'typedConfig', value: anyPack(DownstreamTlsContextSchema, create(DownstreamTlsContextSchema, {
      commonTlsContext: {
        alpnProtocols: ['h2', 'http/1.1'],
        tlsCertificates: [{ certificateChain: { specifier: { case: 'inlineString', value: cert.certificateChainPem } }, privateKey: { specifier: { case: 'inlineString', value: cert.privateKeyPem } } }],
      },
    })) },
  });
  const xds = await startXds({
    clusters: [edsCluster('grpc', { http2: true }), edsCluster('web'), edsCluster('none', { http2: true })],
    endpoints: [assignment('grpc', [{ port: backend.port }]), assignment('web', [{ port: web.port }]), assignment('none', [])],
    listeners: [httpListener('h2c', ADDR, 'routes'), tlsListener],
    routes: [routeConfig('routes', [{ name: 'all', domains: ['*'], routes: [
      { match: { pathSpecifier: { case: 'prefix', value: '/meshproof.test.Who/' }, headers: [{ name: 'x-broken', headerMatchSpecifier: { case: 'presentMatch', value: true } }] }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'none' } } } },
      { match: { pathSpecifier: { case: 'prefix', value: '/meshproof.test.Who/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'grpc' } } } },
      { match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'web' } } } },
    ] }])],
  });
  const proxy = await startTestProxy(xds.port);
  const clients: grpc.Client[] = [];
  try {
    await proxy.waitReady();
    const h2c = proxy.listenerAddress('h2c')!;
    const plain = new grpc.Client(`${ADDR}:${h2c.port}`, grpc.credentials.createInsecure());
    clients.push(plain);
    assert.is(await who(plain), 'grpc-backend');
    const tls = proxy.listenerAddress('tls')!;
    const secure = new grpc.Client(`${ADDR}:${tls.port}`, grpc.credentials.createSsl(Buffer.from(ca.rootCertificatePem)), { 'grpc.ssl_target_name_override': 'proxy.test', 'grpc.default_authority': 'proxy.test' });
    clients.push(secure);
    assert.is(await who(secure), 'grpc-backend');
    const err = await who(plain, { 'x-broken': '1' }).then(() => undefined, (e: grpc.ServiceError) => e);
    assert.ok(err, 'a call to a cluster without endpoints fails');
    assert.is(err!.code, grpc.status.UNAVAILABLE, err!.details);
    assert.match(err!.details, /no healthy upstream/);
    const body = await new Promise<string>((resolve, reject) => {
      https.get({ host: ADDR, port: tls.port, path: '/page', servername: 'proxy.test', ca: ca.rootCertificatePem, ALPNProtocols: ['http/1.1'], headers: { host: 'proxy.test' } } as https.RequestOptions, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => { b += c.toString(); });
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    const parsed = JSON.parse(body) as { name: string; headers: Record<string, string> };
    assert.is(parsed.name, 'web');
    assert.is(parsed.headers['x-forwarded-proto'], 'https');
    assert.ok(WHO_PATH.length > 0 && identity(Buffer.alloc(0)).length === 0);
  } finally {
    for (const c of clients) c.close();
    await proxy.close();
    await xds.close();
    await backend.close();
    await web.close();
  }
});

test.run();
