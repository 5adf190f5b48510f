/**
 * HTTP/1.1 over TLS is served by node:http, not the fast path: the HCM's answers must be the same
 * there. A missing Host → 400 missing_host_header (logged), an expectation other than 100-continue
 * forwarded (node:http alone would answer 417), a websocket upgrade → 403 upgrade_failed and close,
 * 1,100 headers with Host last → 431 too_many_headers. Real TLS on a SIMPLE gateway chain.
 */
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createExtensions } from '../../../src/proxy/extensions.js';
import type { SecurityTls } from '../../../src/proxy/tls/provider.js';
import type { AccessLogEntry } from '../../../src/proxy/access-log.js';
import { startEcho, startTestProxy, startXds, until } from '../_harness.js';
import { chain, hcm, listener, staticCluster, waitSecrets } from './_e2e.js';
import { certSecret, testPki } from './_pki.js';

/** Sends `bytes` over TLS (ALPN http/1.1) and resolves with all the proxy sent once it closes or `ms` passed. */
function exchange(port: number, ca: string, bytes: string, ms = 1500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'simple.example.com', ALPNProtocols: ['http/1.1'] }, () => s.write(bytes));
    let text = '';
    const timer = setTimeout(() => { s.destroy(); resolve({ text, closed: false }); }, ms);
    s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve({ text, closed: true }); });
  });
}

test('GIVEN HTTP/1.1 over TLS (node:http) WHEN Host is missing, Expect: foo, a websocket upgrade or 1,100 headers arrive THEN the HCM answers as on the fast path', async () => {
  const pki = await testPki();
  const web = await startEcho('web');
  const cert = await pki.server('simple.example.com');
  const xds = await startXds({
    clusters: [staticCluster('web', [web.port])], endpoints: [], routes: [],
    listeners: [listener('gw', [chain('simple', { serverNames: ['simple.example.com'] }, [hcm('web')], { commonTlsContext: { alpnProtocols: ['h2', 'http/1.1'], tlsCertificateSdsSecretConfigs: [{ name: 'kubernetes://simple', sdsConfig: { ads: {} } }] } })])],
    secrets: [certSecret('kubernetes://simple', cert)],
  });
  const ext = createExtensions();
  const proxy = await startTestProxy(xds.port, { extensions: ext });
  const logged = async (path: string): Promise<AccessLogEntry> => {
    await until(() => proxy.log.some((e) => e.path === path), 2000, `the access-log line of ${path}`);
    return proxy.log.find((e) => e.path === path)!;
  };
  try {
    await proxy.waitReady(30_000);
    await waitSecrets(proxy, ext.tls as SecurityTls, ['kubernetes://simple']);
    const port = proxy.listenerAddress('gw')!.port;
    const ca = pki.ca.rootCertificatePem;

    const noHost = await exchange(port, ca, 'GET /nohost HTTP/1.1\r\n\r\n');
    assert.match(noHost.text, /^HTTP\/1\.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n/);
    assert.ok(noHost.closed);
    assert.is((await logged('/nohost')).details, 'missing_host_header');

    // The echo backend is node:http without a checkExpectation listener: its own 417 comes back through the proxy.
    const expect = await exchange(port, ca, 'GET /exp HTTP/1.1\r\nHost: simple.example.com\r\nExpect: foo\r\n\r\n');
    assert.match(expect.text, /^HTTP\/1\.1 417 Expectation Failed\r\n[\s\S]*x-envoy-upstream-service-time: \d+\r\n/);
    assert.is((await logged('/exp')).status, 417);

    const up = await exchange(port, ca, 'GET /up HTTP/1.1\r\nHost: simple.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    assert.match(up.text, /^HTTP\/1\.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n/);
    assert.ok(up.closed);
    assert.is((await logged('/up')).details, 'upgrade_failed');

    let head = 'GET /many HTTP/1.1\r\n';
    for (let i = 0; i < 1100; i++) head += `x${i}: y\r\n`;
    const many = await exchange(port, ca, `${head}Host: simple.example.com\r\n\r\n`);
    assert.match(many.text, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.is((await logged('/many')).details, 'http1.too_many_headers');
    assert.not.ok(web.received.some((r) => r.url === '/nohost' || r.url === '/up' || r.url === '/many'));
  } finally {
    await proxy.close();
    await xds.close();
    await web.close();
  }
});

test.run();
