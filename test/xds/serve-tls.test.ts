/**
 * `xds serve --tls`: ADS over real mutual TLS (grpc-js on a real socket). The server certificate is
 * issued by the mesh CA for the listen host; a client needs a certificate chained to that CA (one
 * without, or from another CA, never gets a stream), and SDS hands a node's secrets only to the
 * identity they belong to: the workload certificate to its own SPIFFE ID, credentials to clients of
 * the node's namespace (a client of another namespace is refused the whole node: see
 * serve-tls-node-identity.test.ts); a refused secret is left out (NACK-free), logged, and shown on /status.
 * The reference proxy connects with `meshproof xds client-cert`'s files and gets its config.
 */
import * as grpc from '@grpc/grpc-js';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { main } from '../../src/cli/main.js';
import { CLIENT_CERT_FILES, writeClientCertificate } from '../../src/cli/xds-client-cert.js';
import { createCa, issueServerCertificate, issueWorkloadCertificate, loadCaFromFiles, spiffeIdOfCertificate } from '../../src/pki/index.js';
import { startProxy } from '../../src/proxy/main.js';
import type { Secret } from '../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { SECRET_TYPE_URL, TYPE_URL } from '../../src/xds/resources.js';
import { makeCa } from '../runtime/_processes.js';
import { captureIO } from '../cli/_io.js';
import { type AdsTestStream, fetchSecrets, newAdsClient, openAds, secretsOf } from './_ads-client.js';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-tls-'));
for (const f of readdirSync(join(ROOT, 'dist'))) if (f.endsWith('.k8s.yaml')) copyFileSync(join(ROOT, 'dist', f), join(work, f));
const ca = makeCa(mkdtempSync(join(work, 'ca-')));
let h: XdsServeHandle;
const logs: string[] = [];
/** Client certificate folders by identity. */
const certs: Record<string, string> = {};

test.before(async () => {
  // The Gateways name credentials in istio-ingress: without them the check suite refuses the input.
  const other = await createCa({ trustDomain: 'example.com' });
  const cred = await issueServerCertificate(other, { dnsNames: ['bookinfo.example.com'] });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  writeFileSync(join(work, 'credentials.yaml'), ['bookinfo-app-cert', 'httpbin-credential'].map((name) => ['apiVersion: v1', 'kind: Secret', 'metadata:', `  name: ${name}`, '  namespace: istio-ingress', 'type: kubernetes.io/tls', 'data:',
    `  tls.crt: ${b64(cred.certificateChainPem)}`, `  tls.key: ${b64(cred.privateKeyPem)}`, `  ca.crt: ${b64(other.rootCertificatePem)}`, ''].join('\n')).join('---\n'));
  h = await startServe({ paths: [work], listen: '127.0.0.1:0', status: '127.0.0.1:0', cwd: work, watch: false, log: (l) => logs.push(l), caCert: ca.cert, caKey: ca.key, tls: {} });
  const fileCa = await loadCaFromFiles({ certFile: ca.cert, keyFile: ca.key, trustDomain: h.ca.trustDomain });
  for (const id of ['bookinfo/details', 'istio-ingress/istio-ingressgateway', 'bookinfo/reviews']) {
    const [ns, sa] = id.split('/') as [string, string];
    certs[id] = join(work, `client-${ns}-${sa}`);
    await writeClientCertificate(fileCa, ns, sa, certs[id]!);
  }
});
test.after(async () => {
  await h?.close();
  rmSync(work, { recursive: true, force: true });
});

const read = (dir: string, f: keyof typeof CLIENT_CERT_FILES) => readFileSync(join(dir, CLIENT_CERT_FILES[f]));
const rootPem = () => readFileSync(ca.cert);
const credentialsOf = (dir: string) => grpc.credentials.createSsl(read(dir, 'root'), read(dir, 'key'), read(dir, 'chain'));
const leafOf = (s: Secret | undefined) => {
  const v = s?.type.case === 'tlsCertificate' ? s.type.value.certificateChain?.specifier.value : undefined;
  return spiffeIdOfCertificate(new TextDecoder().decode(v as Uint8Array).match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0]);
};

/** Asks node `nodeId`'s secrets `names` over a stream authenticated with `credentials`; ACKs the answer. */
async function secrets(credentials: grpc.ChannelCredentials, nodeId: string, names: string[]): Promise<Map<string, Secret>> {
  return fetchSecrets(h.port, { id: nodeId }, names, newAdsClient(h.port, credentials));
}

/** Opens a stream with `credentials` and waits for its end: the status it ends with, or undefined when a response came. */
async function refusedStatus(credentials: grpc.ChannelCredentials): Promise<grpc.StatusObject | undefined> {
  const s: AdsTestStream = openAds(h.port, newAdsClient(h.port, credentials));
  try {
    s.send({ node: { id: 'bookinfo/details-v1' }, typeUrl: TYPE_URL.cluster, resourceNames: [] });
    const first = await Promise.race([s.next(15_000).then(() => undefined, () => undefined), s.ended]);
    return first;
  } finally {
    s.close();
  }
}

test('GIVEN a client certificate of the mesh CA for bookinfo/details WHEN its node asks for CDS and its secrets over mTLS THEN it gets clusters, its own workload certificate and the root', async () => {
  const s = openAds(h.port, newAdsClient(h.port, credentialsOf(certs['bookinfo/details']!)));
  try {
    s.send({ node: { id: 'bookinfo/details-v1' }, typeUrl: TYPE_URL.cluster, resourceNames: [] });
    const r = await s.next(30_000);
    assert.is(r.typeUrl, TYPE_URL.cluster);
    assert.ok(r.resources.length > 0, 'no clusters');
  } finally {
    s.close();
  }
  const got = await secrets(credentialsOf(certs['bookinfo/details']!), 'bookinfo/details-v1', ['default', 'ROOTCA']);
  assert.equal([...got.keys()].sort(), ['ROOTCA', 'default']);
  assert.is(leafOf(got.get('default')), `spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/details`);
});

test('GIVEN a client with no certificate WHEN it connects THEN the handshake is refused: UNAVAILABLE, no response', async () => {
  const status = await refusedStatus(grpc.credentials.createSsl(rootPem()));
  assert.ok(status, 'a client without certificate got a response');
  assert.is(status!.code, grpc.status.UNAVAILABLE, status!.details);
});

test('GIVEN a certificate for the same identity from another CA WHEN it connects THEN the handshake is refused: UNAVAILABLE, no response', async () => {
  const rogue = await createCa({ trustDomain: h.ca.trustDomain });
  const cert = await issueWorkloadCertificate(rogue, { spiffeId: `spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/details` });
  const status = await refusedStatus(grpc.credentials.createSsl(rootPem(), Buffer.from(cert.privateKeyPem), Buffer.from(cert.certificateChainPem)));
  assert.ok(status, 'a certificate of another CA got a response');
  assert.is(status!.code, grpc.status.UNAVAILABLE, status!.details);
});

test('GIVEN a plaintext client WHEN it dials the --tls port THEN it gets no stream', async () => {
  const status = await refusedStatus(grpc.credentials.createInsecure());
  assert.ok(status, 'a plaintext client got a response');
  assert.is(status!.code, grpc.status.UNAVAILABLE, status!.details);
});

test('GIVEN the certificate of bookinfo/details WHEN it names node bookinfo/reviews-v1 and asks for its workload certificate THEN only ROOTCA comes (no NACK asked of it), the refusal is logged once and shown on /status', async () => {
  const got = await secrets(credentialsOf(certs['bookinfo/details']!), 'bookinfo/reviews-v1', ['default', 'ROOTCA']);
  assert.equal([...got.keys()], ['ROOTCA'], 'the workload certificate of reviews went to details');
  const line = logs.filter((l) => l.includes('withheld'));
  assert.is(line.length, 1, logs.join('\n'));
  assert.match(line[0]!, new RegExp(`node "bookinfo/reviews-v1": SDS secret "default" withheld from the client authenticated as spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/details: the workload certificate is issued for spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/reviews`));
  // The status keeps the node while a stream is open: hold one and read it.
  const s = openAds(h.port, newAdsClient(h.port, credentialsOf(certs['bookinfo/details']!)));
  try {
    s.send({ node: { id: 'bookinfo/reviews-v1' }, typeUrl: SECRET_TYPE_URL, resourceNames: ['default'] });
    const r = await s.next(30_000);
    assert.is(r.resources.length, 0);
    const status = await (await fetch(`http://127.0.0.1:${h.statusPort}/status`)).json() as { nodes: { nodeId: string; peerIdentities?: string[]; refusedSecrets?: { name: string; peerIdentity: string; reason: string }[] }[] };
    const node = status.nodes.find((n) => n.nodeId === 'bookinfo/reviews-v1')!;
    assert.equal(node.peerIdentities, [`spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/details`]);
    assert.equal(node.refusedSecrets!.map((x) => [x.name, x.peerIdentity]), [['default', `spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/details`]]);
    assert.match(node.refusedSecrets![0]!.reason, /issued for spiffe:\/\/.*\/ns\/bookinfo\/sa\/reviews/);
  } finally {
    s.close();
  }
  // reviews' own certificate gets it.
  const own = await secrets(credentialsOf(certs['bookinfo/reviews']!), 'bookinfo/reviews-v1', ['default']);
  assert.is(leafOf(own.get('default')), `spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/reviews`);
});

test('GIVEN the gateway\'s credential kubernetes://bookinfo-app-cert in istio-ingress WHEN a client of bookinfo names the gateway node THEN its stream is refused (PERMISSION_DENIED) before any secret; a client of istio-ingress gets it', async () => {
  const names = ['kubernetes://bookinfo-app-cert', 'kubernetes://bookinfo-app-cert-cacert'];
  const s = openAds(h.port, newAdsClient(h.port, credentialsOf(certs['bookinfo/details']!)));
  try {
    s.send({ node: { id: 'istio-ingress/istio-ingressgateway' }, typeUrl: SECRET_TYPE_URL, resourceNames: names });
    const end = await Promise.race([s.next(30_000).then((r) => `got ${secretsOf(r).size} secrets`), s.ended]);
    assert.is(typeof end === 'string' ? end : end.code, grpc.status.PERMISSION_DENIED, 'a client of another namespace was answered for the gateway node');
  } finally {
    s.close();
  }
  const own = await secrets(credentialsOf(certs['istio-ingress/istio-ingressgateway']!), 'istio-ingress/istio-ingressgateway', names);
  assert.equal([...own.keys()].sort(), names);
});

test('GIVEN meshproof xds client-cert WHEN run THEN it writes the chain, a 0600 key and the root for the identity; the reference proxy with --xds-* files gets its config over mTLS', async () => {
  const out = join(work, 'cli-cert');
  const cap = captureIO(work);
  assert.is(await main(['xds', 'client-cert', '--identity', 'bookinfo/productpage', '--out', out, '--ca-cert', ca.cert, '--ca-key', ca.key, '--trust-domain', h.ca.trustDomain, '--ttl', '3600'], cap.io), 0, cap.stderr());
  assert.match(cap.stdout(), new RegExp(`^xds client-cert: spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/productpage until \\S+Z → `));
  assert.is(statSync(join(out, 'key.pem')).mode & 0o777, 0o600);
  const leaf = readFileSync(join(out, 'cert-chain.pem'), 'utf8');
  assert.is(spiffeIdOfCertificate(leaf), `spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/productpage`);
  const proxyLogs: string[] = [];
  const proxy = await startProxy({
    xds: `127.0.0.1:${h.port}`, nodeId: 'bookinfo/productpage-v1?bind=127.0.0.1', admin: 'off', prometheus: 'off', readiness: 'off', log: (l) => proxyLogs.push(l),
    xdsTls: { caPem: readFileSync(join(out, 'root-cert.pem'), 'utf8'), certificateChainPem: leaf, privateKeyPem: readFileSync(join(out, 'key.pem'), 'utf8') },
  });
  try {
    await proxy.waitReady(30_000);
    assert.ok(proxy.store.versions.has('listener'), proxyLogs.join('\n'));
  } finally {
    await proxy.close();
  }
});

test('GIVEN the reference proxy with a certificate of another CA WHEN it dials the --tls port THEN it gets no config and its log says what a refused handshake means', async () => {
  const rogue = await createCa({ trustDomain: h.ca.trustDomain });
  const cert = await issueWorkloadCertificate(rogue, { spiffeId: `spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/details` });
  const proxyLogs: string[] = [];
  const proxy = await startProxy({
    xds: `127.0.0.1:${h.port}`, nodeId: 'bookinfo/details-v1?bind=127.0.0.1', admin: 'off', prometheus: 'off', readiness: 'off', initialBackoffMs: 100, log: (l) => proxyLogs.push(l),
    xdsTls: { caPem: rootPem().toString(), certificateChainPem: cert.certificateChainPem, privateKeyPem: cert.privateKeyPem },
  });
  try {
    for (let i = 0; i < 100 && proxyLogs.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(proxyLogs[0] ?? '', /^xds: stream to 127\.0\.0\.1:\d+ ended \(UNAVAILABLE: .*\) \(over mutual TLS this is also how a refused handshake looks: .*--xds-cert come from the CA it runs with\); no config received yet, reconnecting/);
    assert.is(proxy.store.versions.size, 0);
  } finally {
    await proxy.close();
  }
});

test('GIVEN bad client-cert and serve flags WHEN run THEN exit 2 naming the flag and the fix', async () => {
  const run = async (...args: string[]) => { const cap = captureIO(work); const code = await main(args, cap.io); return { code, err: cap.stderr() }; };
  const noCa = await run('xds', 'client-cert', '--identity', 'bookinfo/details', '--out', join(work, 'x'));
  assert.is(noCa.code, 2);
  assert.match(noCa.err, /--ca-cert <file> and --ca-key <file> are required/);
  const badId = await run('xds', 'client-cert', '--identity', 'details', '--out', join(work, 'x'), '--ca-cert', ca.cert, '--ca-key', ca.key);
  assert.match(badId.err, /--identity "details" is not <namespace>\/<service account>/);
  const nobody = await run('xds', 'serve', '--input', work, '--tls');
  assert.is(nobody.code, 2);
  assert.match(nobody.err, /--tls with the throwaway CA \(no --ca-cert\/--ca-key\) and no --issue-client-cert: no client could ever hold a certificate of that CA/);
  const wildcard = await run('xds', 'serve', '--input', work, '--listen', '0.0.0.0:0', '--tls', '--ca-cert', ca.cert, '--ca-key', ca.key);
  assert.is(wildcard.code, 2);
  assert.match(wildcard.err, /--tls with --listen 0\.0\.0\.0:0: a wildcard address names no host for the server certificate; give --tls-name/);
  assert.match((await run('xds', 'serve', '--input', work, '--tls-name', 'x.example')).err, /--tls-name names the server certificate of --tls; add --tls/);
  assert.match((await run('xds', 'serve', '--input', work, '--tls', '--issue-client-cert', 'bookinfo/details')).err, /--issue-client-cert "bookinfo\/details" is not <namespace>\/<service account>=<dir>/);
  const half = await run('proxy', '--xds', '127.0.0.1:1', '--node', 'bookinfo/details-v1', '--xds-cert', join(certs['bookinfo/details']!, 'cert-chain.pem'));
  assert.match(half.err, /--xds-ca, --xds-cert and --xds-key go together .*; --xds-cert given/);
  const d = certs['bookinfo/details']!;
  const r = certs['bookinfo/reviews']!;
  const mismatch = await run('proxy', '--xds', '127.0.0.1:1', '--node', 'bookinfo/details-v1', '--xds-ca', join(d, 'root-cert.pem'), '--xds-cert', join(d, 'cert-chain.pem'), '--xds-key', join(r, 'key.pem'));
  assert.match(mismatch.err, /do not make a TLS identity .*give the key the certificate was issued for/);
});

test('GIVEN --issue-client-cert with the throwaway CA WHEN xds serve --tls starts THEN the written certificate opens a stream and gets its own secret', async () => {
  const dir = join(work, 'issued');
  const serveLogs: string[] = [];
  const t = await startServe({ paths: [work], listen: '127.0.0.1:0', cwd: work, watch: false, log: (l) => serveLogs.push(l), tls: { names: ['localhost'] }, clientCertificates: [{ namespace: 'bookinfo', serviceAccount: 'ratings', dir }] });
  try {
    assert.ok(serveLogs.some((l) => /client certificate for spiffe:\/\/\S+\/ns\/bookinfo\/sa\/ratings \(until \S+\) written to /.test(l)), serveLogs.join('\n'));
    const s = openAds(t.port, newAdsClient(t.port, credentialsOf(dir)));
    try {
      s.send({ node: { id: 'bookinfo/ratings-v1' }, typeUrl: SECRET_TYPE_URL, resourceNames: ['default'] });
      const got = secretsOf(await s.next(30_000));
      assert.is(leafOf(got.get('default')), `spiffe://${t.ca.trustDomain}/ns/bookinfo/sa/ratings`);
    } finally {
      s.close();
    }
  } finally {
    await t.close();
  }
});

test.run();
