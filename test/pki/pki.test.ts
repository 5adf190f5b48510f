/** The mesh PKI: certificates it issues verify against its CA over real TLS and carry the identity; bad input is refused with a code. */
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type CertificateAuthority, type IssuedCertificate, PkiError, createCa, issueServerCertificate, issueWorkloadCertificate,
  loadCa, loadCaFromFiles, parseSpiffeId, spiffeIdOfCertificate, workloadSpiffeId,
} from '../../src/pki/index.js';

let ca: CertificateAuthority;
test.before(async () => { ca = await createCa({ trustDomain: 'cluster.local' }); });

/** One mutual-TLS handshake on loopback; resolves with what each side saw of the other. */
async function handshake(server: IssuedCertificate, client: IssuedCertificate, serverCa: string, clientCa: string, servername?: string) {
  const srv = tls.createServer({ cert: server.certificateChainPem, key: server.privateKeyPem, ca: clientCa, requestCert: true, rejectUnauthorized: true }, (s) => {
    s.end(JSON.stringify({ peer: spiffeIdOfCertificate(s.getPeerCertificate().raw) }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const port = (srv.address() as { port: number }).port;
    return await new Promise<{ authorized: boolean; error?: string; serverId?: string; serverSaw?: string }>((resolve) => {
      const sock = tls.connect({
        port, host: '127.0.0.1', cert: client.certificateChainPem, key: client.privateKeyPem, ca: serverCa, servername,
        // SPIFFE peers are checked by URI SAN, not host name (as Envoy's match_subject_alt_names does).
        checkServerIdentity: () => undefined,
      });
      let body = '';
      sock.on('data', (d) => { body += d; });
      sock.on('end', () => resolve({ authorized: sock.authorized, serverId: spiffeIdOfCertificate(sock.getPeerCertificate().raw), serverSaw: JSON.parse(body).peer }));
      sock.on('error', (e) => resolve({ authorized: false, error: e.message }));
    });
  } finally {
    srv.close();
  }
}

test('GIVEN a workload certificate for a SPIFFE id WHEN two workloads do mutual TLS with it THEN each verifies against the CA and sees the other\'s URI SAN', async () => {
  const reviews = await issueWorkloadCertificate(ca, { spiffeId: 'spiffe://cluster.local/ns/shop/sa/reviews' });
  const productpage = await issueWorkloadCertificate(ca, { spiffeId: workloadSpiffeId('cluster.local', 'shop', 'productpage') });
  const r = await handshake(reviews, productpage, ca.rootCertificatePem, ca.rootCertificatePem);
  assert.equal(r, { authorized: true, serverId: 'spiffe://cluster.local/ns/shop/sa/reviews', serverSaw: 'spiffe://cluster.local/ns/shop/sa/productpage' });
});

test('GIVEN a workload certificate THEN it is shaped as Istio\'s CA issues it: empty subject, critical URI SAN, server+client auth, not a CA, 24 h', async () => {
  const leaf = await issueWorkloadCertificate(ca, { spiffeId: 'spiffe://cluster.local/ns/shop/sa/reviews', dnsNames: ['reviews.shop.svc'] });
  const x = new X509Certificate(leaf.certificatePem);
  assert.ok(!x.subject, `empty subject, got ${x.subject}`);
  const { x509 } = await import('../../src/pki/_x509.js');
  assert.is(new x509.X509Certificate(leaf.certificatePem).getExtension(x509.SubjectAlternativeNameExtension)?.critical, true, 'the SAN is critical when the subject is empty (RFC 5280 4.2.1.6)');
  assert.is(x.subjectAltName, 'URI:spiffe://cluster.local/ns/shop/sa/reviews, DNS:reviews.shop.svc');
  assert.ok(x.verify(new X509Certificate(ca.rootCertificatePem).publicKey), 'signed by the CA');
  assert.ok(x.checkIssued(new X509Certificate(ca.rootCertificatePem)));
  assert.is(x.ca, false);
  assert.equal(x.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  const lifetime = (leaf.notAfter.getTime() - Date.now()) / 1000;
  assert.ok(lifetime > 86_390 && lifetime <= 86_400, `about 24 h left, got ${lifetime} s`);
  assert.is(leaf.spiffeId, 'spiffe://cluster.local/ns/shop/sa/reviews');
  assert.is(leaf.certificateChainPem, leaf.certificatePem, 'a self-signed root is not repeated in the chain');
  assert.match(leaf.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
});

test('GIVEN a certificate from another CA WHEN it is presented THEN the handshake fails verification', async () => {
  const other = await createCa({ trustDomain: 'cluster.local' });
  const server = await issueWorkloadCertificate(ca, { spiffeId: 'spiffe://cluster.local/ns/shop/sa/reviews' });
  const stranger = await issueWorkloadCertificate(other, { spiffeId: 'spiffe://cluster.local/ns/shop/sa/productpage' });
  const r = await handshake(server, stranger, other.rootCertificatePem, ca.rootCertificatePem);
  assert.is(r.authorized, false);
  assert.ok(r.error, 'the client sees an error');
});

test('GIVEN a server certificate for a DNS name WHEN a client checks the host name THEN it verifies for that name and not for another', async () => {
  const server = await issueServerCertificate(ca, { dnsNames: ['shop.example.com'], ipAddresses: ['127.0.0.1'] });
  const srv = tls.createServer({ cert: server.certificateChainPem, key: server.privateKeyPem }, (s) => s.end('ok'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const dial = (servername: string) => new Promise<string>((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername, ca: ca.rootCertificatePem }, () => { s.end(); resolve('verified'); });
    s.on('error', (e) => resolve(e.message));
  });
  try {
    assert.is(await dial('shop.example.com'), 'verified');
    assert.match(await dial('other.example.com'), /Hostname\/IP does not match/);
  } finally {
    srv.close();
  }
});

test('GIVEN a CA loaded from PEM files with an intermediate WHEN it issues THEN the chain holds the intermediate and verifies against the root', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-pki-'));
  try {
    // An intermediate made with the library from a throwaway root, written as Istio's cacerts files.
    const { rootPem, intermediatePem, intermediateKeyPem } = await makeIntermediate();
    writeFileSync(join(dir, 'ca-cert.pem'), `${intermediatePem}\n${rootPem}`);
    writeFileSync(join(dir, 'ca-key.pem'), intermediateKeyPem);
    const loaded = await loadCaFromFiles({ certFile: join(dir, 'ca-cert.pem'), keyFile: join(dir, 'ca-key.pem'), trustDomain: 'example.org' });
    assert.is(loaded.rootCertificatePem.trim(), rootPem.trim());
    const leaf = await issueWorkloadCertificate(loaded, { spiffeId: 'spiffe://example.org/ns/a/sa/b' });
    assert.is((leaf.certificateChainPem.match(/BEGIN CERTIFICATE/g) ?? []).length, 2, 'leaf + intermediate');
    const peer = await issueWorkloadCertificate(loaded, { spiffeId: 'spiffe://example.org/ns/a/sa/c' });
    const r = await handshake(leaf, peer, rootPem, rootPem);
    assert.is(r.authorized, true, r.error);
    assert.is(r.serverSaw, 'spiffe://example.org/ns/a/sa/c');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function makeIntermediate() {
  const root = await createCa({ trustDomain: 'example.org' });
  // A key pair from node:crypto in SEC1 form ("EC PRIVATE KEY"), as openssl writes it.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { x509, webcrypto } = await import('../../src/pki/_x509.js');
  const { signerOf } = await import('../../src/pki/ca.js');
  const pub = await webcrypto.subtle.importKey('spki', (await import('node:crypto')).createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
  const s = signerOf(root);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0a', subject: 'O=example.org, CN=intermediate', issuer: s.cert.subject, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000 * 30),
    publicKey: pub, signingKey: s.key, signingAlgorithm: s.algorithm,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return { rootPem: root.rootCertificatePem, intermediatePem: cert.toString('pem'), intermediateKeyPem: privateKey.export({ type: 'sec1', format: 'pem' }) as string };
}

const refuses = async (code: string, fn: () => Promise<unknown> | unknown, message: RegExp) => {
  try {
    await fn();
  } catch (e) {
    assert.instance(e, PkiError);
    assert.is((e as PkiError).code, code);
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`expected ${code}`);
};

test('GIVEN bad input WHEN issuing or loading THEN a PkiError with a stable code names the field, the value and what is valid', async () => {
  await refuses('PKI_BAD_TRUST_DOMAIN', () => createCa({ trustDomain: 'Cluster Local' }), /trustDomain: "Cluster Local" is not a SPIFFE trust domain/);
  await refuses('PKI_BAD_SPIFFE_ID', () => issueWorkloadCertificate(ca, { spiffeId: 'https://cluster.local/ns/a/sa/b' }), /scheme must be "spiffe:\/\/"/);
  await refuses('PKI_BAD_SPIFFE_ID', () => issueWorkloadCertificate(ca, { spiffeId: 'spiffe://cluster.local/ns//sa/b' }), /a path segment is empty/);
  await refuses('PKI_TRUST_DOMAIN_MISMATCH', () => issueWorkloadCertificate(ca, { spiffeId: 'spiffe://example.org/ns/a/sa/b' }), /use spiffe:\/\/cluster.local\/ns\/a\/sa\/b/);
  await refuses('PKI_BAD_TTL', () => issueWorkloadCertificate(ca, { spiffeId: 'spiffe://cluster.local/ns/a/sa/b', ttlSeconds: 0 }), /ttlSeconds: 0 is not a validity period/);
  await refuses('PKI_TTL_EXCEEDS_CA', () => issueWorkloadCertificate(ca, { spiffeId: 'spiffe://cluster.local/ns/a/sa/b', ttlSeconds: 20 * 365 * 86_400 }), /after the CA certificate expires/);
  await refuses('PKI_NO_NAMES', () => issueServerCertificate(ca, {}), /at least one DNS name or IP address/);
  await refuses('PKI_BAD_DNS_NAME', () => issueServerCertificate(ca, { dnsNames: ['bad_name..com'] }), /dnsNames\[0\]: "bad_name..com" is not a DNS name/);
  await refuses('PKI_BAD_PEM', () => loadCa({ certificatePem: 'nope', privateKeyPem: 'nope' }), /certificatePem: no "-----BEGIN CERTIFICATE-----" block/);
  const leaf = await issueServerCertificate(ca, { dnsNames: ['a.example'] });
  await refuses('PKI_NOT_A_CA', () => loadCa({ certificatePem: leaf.certificatePem, privateKeyPem: leaf.privateKeyPem }), /is not a CA/);
  const other = await issueServerCertificate(ca, { dnsNames: ['b.example'] });
  await refuses('PKI_KEY_MISMATCH', () => loadCa({ certificatePem: ca.rootCertificatePem, privateKeyPem: other.privateKeyPem }), /does not belong to the certificate/);
  await refuses('PKI_READ_FAILED', () => loadCaFromFiles({ certFile: '/nonexistent/ca-cert.pem', keyFile: '/nonexistent/ca-key.pem' }), /\/nonexistent\/ca-cert.pem: cannot read it \(ENOENT\)/);
});

test('GIVEN SPIFFE ids THEN Istio\'s ns/sa shape is parsed and other paths are kept as paths', () => {
  const id = parseSpiffeId('spiffe://cluster.local/ns/shop/sa/reviews');
  assert.equal([id.trustDomain, id.namespace, id.serviceAccount, id.toString()], ['cluster.local', 'shop', 'reviews', 'spiffe://cluster.local/ns/shop/sa/reviews']);
  const other = parseSpiffeId('spiffe://example.org/billing/api');
  assert.equal([other.path, other.namespace], ['billing/api', undefined]);
});

test.run();
