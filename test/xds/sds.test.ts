/**
 * SDS over the ADS stream of `xds serve`: a proxy-like client (an Istio node id, as istio-agent
 * forms it) asks for Secrets and gets its workload certificate (`default`) and the mesh root
 * (`ROOTCA`); a gateway gets `kubernetes://<credentialName>` from a Kubernetes Secret in its own
 * namespace, the proxy of a Gateway API Gateway `kubernetes-gateway://<ns>/<name>` for its certificateRefs; an unknown name is absent, not an error. The certificates are used for real mutual TLS.
 */
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import type { Secret } from '../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { createCa, issueServerCertificate, spiffeIdOfCertificate } from '../../src/pki/index.js';
import { SECRET_TYPE_URL, TYPE_URL } from '../../src/xds/resources.js';
import { type AdsTestStream, fetchSecrets as fetchSecretsOn, openAds } from './_ads-client.js';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'meshproof-sds-'));
for (const f of readdirSync(join(ROOT, 'dist'))) if (f.endsWith('.k8s.yaml')) copyFileSync(join(ROOT, 'dist', f), join(work, f));
let h: XdsServeHandle;
let gatewayCertPem = '';

test.before(async () => {
  // The gateway's credential, as cert-manager or an operator would store it: a kubernetes.io/tls
  // Secret with ca.crt, in the namespace of the gateway workload (istio-ingress).
  const other = await createCa({ trustDomain: 'example.com' });
  const cred = await issueServerCertificate(other, { dnsNames: ['httpbin.example.com'] });
  gatewayCertPem = cred.certificatePem;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  // bookinfo's Gateway names a credential too: without it the check suite refuses the input.
  writeFileSync(join(work, 'credentials.yaml'), ['httpbin-credential', 'bookinfo-app-cert'].map((name) => [
    'apiVersion: v1', 'kind: Secret', 'metadata:', `  name: ${name}`, '  namespace: istio-ingress', 'type: kubernetes.io/tls', 'data:',
    `  tls.crt: ${b64(cred.certificateChainPem)}`, `  tls.key: ${b64(cred.privateKeyPem)}`, `  ca.crt: ${b64(other.rootCertificatePem)}`, '',
  ].join('\n')).join('---\n') + [
    '---', 'apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', 'metadata:', '  name: public', '  namespace: istio-ingress', 'spec:', '  gatewayClassName: istio', '  listeners:',
    '    - name: https', '      port: 443', '      protocol: HTTPS', '      hostname: httpbin.example.com', '      tls:', '        certificateRefs:', '          - name: httpbin-credential', '',
  ].join('\n'));
  h = await startServe({ paths: [work], listen: '127.0.0.1:0', cwd: work, watch: false, log: () => {} });
});
test.after(async () => {
  await h?.close();
  rmSync(work, { recursive: true, force: true });
});

const text = (b: { specifier: { case?: string; value?: unknown } } | undefined) => new TextDecoder().decode(b?.specifier.value as Uint8Array);

const fetchSecrets = (node: Parameters<AdsTestStream['send']>[0]['node'], names: string[]): Promise<Map<string, Secret>> => fetchSecretsOn(h.port, node, names);

test('GIVEN an Istio sidecar node id WHEN it asks for default, ROOTCA and an unknown name THEN it gets its workload certificate and the root; the unknown name is absent', async () => {
  const node = { id: 'sidecar~10.0.0.7~reviews-v2-7d9c8b-x2x4z.bookinfo~bookinfo.svc.cluster.local', metadata: { NAMESPACE: 'bookinfo' } };
  const secrets = await fetchSecrets(node, ['default', 'ROOTCA', 'kubernetes://nope']);
  assert.equal([...secrets.keys()].sort(), ['ROOTCA', 'default']);
  const def = secrets.get('default')!;
  assert.is(def.type.case, 'tlsCertificate');
  const chain = text(def.type.case === 'tlsCertificate' ? def.type.value.certificateChain : undefined);
  const root = secrets.get('ROOTCA')!;
  const rootPem = text(root.type.case === 'validationContext' ? root.type.value.trustedCa : undefined);
  assert.is(rootPem, h.ca.rootCertificatePem);
  assert.is(spiffeIdOfCertificate(chain), 'spiffe://cluster.local/ns/bookinfo/sa/reviews', 'the identity of the workload reviews-v2 (service account reviews)');
  assert.ok(new X509Certificate(chain).checkIssued(new X509Certificate(rootPem)));
  assert.is(h.ads.status.node('bookinfo/reviews-v2', false)?.nodeId, 'bookinfo/reviews-v2', 'the Istio node id was mapped to the workload');
});

test('GIVEN a Gateway API Gateway whose HTTPS listener names the Secret WHEN its proxy (public-istio) asks for kubernetes-gateway://<ns>/<name> and -cacert THEN it gets the credential; the same name for a sidecar is absent', async () => {
  const names = ['kubernetes-gateway://istio-ingress/httpbin-credential', 'kubernetes-gateway://istio-ingress/httpbin-credential-cacert'];
  const gw = await fetchSecrets({ id: 'istio-ingress/public-istio' }, names);
  const cred = gw.get(names[0]!)!;
  assert.is(text(cred.type.case === 'tlsCertificate' ? cred.type.value.certificateChain : undefined).startsWith(gatewayCertPem.trim().split('\n')[0]!), true);
  assert.is(gw.get(names[1]!)?.type.case, 'validationContext');
  assert.equal([...(await fetchSecrets({ id: 'httpbin/httpbin-v1' }, names)).keys()], []);
});

test('GIVEN two workloads\' SDS certificates WHEN they do mutual TLS trusting ROOTCA THEN both verify and each sees the other\'s SPIFFE id', async () => {
  const a = await fetchSecrets({ id: 'bookinfo/productpage-v1' }, ['default', 'ROOTCA']);
  const b = await fetchSecrets({ id: 'bookinfo/ratings-v1' }, ['default']);
  const pemOf = (s: Secret) => (s.type.case === 'tlsCertificate' ? { cert: text(s.type.value.certificateChain), key: text(s.type.value.privateKey) } : assert.unreachable('tlsCertificate'));
  const root = a.get('ROOTCA')!;
  const ca = text(root.type.case === 'validationContext' ? root.type.value.trustedCa : undefined);
  const srv = tls.createServer({ ...pemOf(b.get('default')!), ca, requestCert: true, rejectUnauthorized: true }, (sock) => sock.end(spiffeIdOfCertificate(sock.getPeerCertificate().raw) ?? 'no URI SAN'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const seen = await new Promise<{ server: string | undefined; client: string }>((resolve, reject) => {
      const c = tls.connect({ port: (srv.address() as { port: number }).port, host: '127.0.0.1', ...pemOf(a.get('default')!), ca, checkServerIdentity: () => undefined });
      let body = '';
      c.on('data', (d) => { body += d; });
      c.on('end', () => resolve({ server: spiffeIdOfCertificate(c.getPeerCertificate().raw), client: body }));
      c.on('error', reject);
    });
    assert.equal(seen, { server: 'spiffe://cluster.local/ns/bookinfo/sa/ratings', client: 'spiffe://cluster.local/ns/bookinfo/sa/productpage' });
  } finally {
    srv.close();
  }
});

test('GIVEN a kubernetes.io/tls Secret in the gateway\'s namespace WHEN the gateway asks for kubernetes://<name> and -cacert THEN it gets the credential; a sidecar elsewhere does not', async () => {
  const gw = await fetchSecrets({ id: 'router~10.0.0.9~istio-ingressgateway-5c7b9-abcde.istio-ingress~istio-ingress.svc.cluster.local' }, ['kubernetes://httpbin-credential', 'kubernetes://httpbin-credential-cacert']);
  const cred = gw.get('kubernetes://httpbin-credential')!;
  assert.is(cred.type.case, 'tlsCertificate');
  assert.ok(text(cred.type.case === 'tlsCertificate' ? cred.type.value.certificateChain : undefined).startsWith(gatewayCertPem.trim()));
  assert.is(gw.get('kubernetes://httpbin-credential-cacert')?.type.case, 'validationContext');
  const sidecar = await fetchSecrets({ id: 'httpbin/httpbin-v1' }, ['kubernetes://httpbin-credential']);
  assert.is(sidecar.size, 0, 'a Secret in istio-ingress is not served to a proxy in httpbin');
});

test('GIVEN a stream subscribed to Secrets WHEN nothing changes and it ACKs THEN no further response (no push loop); re-publishing keeps the same certificate', async () => {
  const s = openAds(h.port);
  try {
    s.send({ node: { id: 'bookinfo/details-v1' }, typeUrl: SECRET_TYPE_URL, resourceNames: ['default'] });
    const r = await s.next(30_000);
    s.send({ typeUrl: SECRET_TYPE_URL, resourceNames: ['default'], versionInfo: r.versionInfo, responseNonce: r.nonce });
    assert.ok(await h.reload());
    assert.ok(await s.silentFor(300), 'a reload of unchanged input re-uses the issued certificate, so nothing is pushed');
  } finally {
    s.close();
  }
});

test.run();
