/**
 * SDS for `configmap://<ns>/<name>` credentials over the ADS stream of `xds serve`, as istiod serves them
 * (pilot/pkg/xds/sds.go, `GetConfigMapCaCert`): a BackendTLSPolicy's CA ConfigMap becomes the
 * `configmap://<ns>/<name>-cacert` validation context that the sidecar's cluster for the backend names, and
 * a TLS upstream with a certificate from that CA verifies against it (one from another CA does not). A
 * ConfigMap that is missing or holds no PEM certificate is not served, and the server says why.
 */
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { createCa, issueServerCertificate, type IssuedCertificate } from '../../src/pki/index.js';
import { ClusterSchema } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { type Secret, SecretSchema } from '../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { UpstreamTlsContextSchema } from '../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { SECRET_TYPE_URL, TYPE_URL } from '../../src/xds/resources.js';
import { openAds } from './_ads-client.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-sds-configmap-'));
const logs: string[] = [];
let h: XdsServeHandle;
let backendCaPem = '';
let good: IssuedCertificate;
let forged: IssuedCertificate;
let otherCaPem = '';

const indent = (pem: string, n: number) => pem.trim().split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n');

test.before(async () => {
  const backendCa = await createCa({ trustDomain: 'backend.example' });
  const otherCa = await createCa({ trustDomain: 'other.example' });
  backendCaPem = backendCa.rootCertificatePem;
  otherCaPem = otherCa.rootCertificatePem;
  good = await issueServerCertificate(backendCa, { dnsNames: ['api.internal.example.com'] });
  forged = await issueServerCertificate(otherCa, { dnsNames: ['api.internal.example.com'] });
  const deployment = (name: string, ns: string) => [
    'apiVersion: apps/v1', 'kind: Deployment', `metadata: {name: ${name}, namespace: ${ns}}`, 'spec:', `  selector: {matchLabels: {app: ${name}}}`,
    '  template:', `    metadata: {labels: {app: ${name}}}`, `    spec: {containers: [{name: app, image: ${name}:1}]}`,
  ].join('\n');
  const service = (name: string) => ['apiVersion: v1', 'kind: Service', `metadata: {name: ${name}, namespace: shop}`, 'spec:', `  selector: {app: ${name}}`, '  ports: [{name: https, port: 443}]'].join('\n');
  writeFileSync(join(work, 'mesh.yaml'), [
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}',
    deployment('web', 'shop'), deployment('api', 'shop'), deployment('legacy', 'shop'), service('api'), service('legacy'),
    ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: api-ca, namespace: shop}', 'data:', '  ca.crt: |', indent(backendCaPem, 4)].join('\n'),
    ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: broken-ca, namespace: shop}', 'data:', `  ca.crt: ${Buffer.from(backendCaPem).toString('base64')}`].join('\n'),
    ['apiVersion: gateway.networking.k8s.io/v1', 'kind: BackendTLSPolicy', 'metadata: {name: api-tls, namespace: shop}', 'spec:',
      '  targetRefs: [{group: "", kind: Service, name: api}]', '  validation:', '    hostname: api.internal.example.com',
      '    caCertificateRefs: [{group: "", kind: ConfigMap, name: api-ca}]'].join('\n'),
    // A user's rule naming ConfigMap CAs directly: one not in the input, one whose ca.crt is base64, not PEM.
    ['apiVersion: networking.istio.io/v1', 'kind: DestinationRule', 'metadata: {name: legacy, namespace: shop}', 'spec:', '  host: legacy',
      '  trafficPolicy:', '    tls: {mode: SIMPLE, credentialName: "configmap://shop/absent-ca"}',
      '    portLevelSettings: [{port: {number: 443}, tls: {mode: SIMPLE, credentialName: "configmap://shop/broken-ca"}}]'].join('\n'),
  ].join('\n---\n') + '\n');
  h = await startServe({ paths: [work], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
});
test.after(async () => {
  await h?.close();
  rmSync(work, { recursive: true, force: true });
});

async function fetch(typeUrl: string, names: string[]) {
  const s = openAds(h.port);
  try {
    s.send({ node: { id: 'shop/web' }, typeUrl, resourceNames: names });
    const r = await s.next(30_000);
    assert.is(r.typeUrl, typeUrl);
    s.send({ typeUrl, resourceNames: names, versionInfo: r.versionInfo, responseNonce: r.nonce });
    return r.resources;
  } finally {
    s.close();
  }
}

const secretsOf = async (names: string[]): Promise<Map<string, Secret>> =>
  new Map((await fetch(SECRET_TYPE_URL, names)).map((a) => { const s = anyUnpack(a, SecretSchema)!; return [s.name, s]; }));
const text = (b: { specifier: { case?: string; value?: unknown } } | undefined) => new TextDecoder().decode(b?.specifier.value as Uint8Array);

/** A TLS handshake to a server with `cert`, trusting `ca` and expecting `servername` (as the sidecar's cluster does). */
async function handshake(cert: IssuedCertificate, ca: string, servername: string): Promise<string> {
  const srv = tls.createServer({ cert: cert.certificateChainPem, key: cert.privateKeyPem }, (sock) => sock.end('ok'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    return await new Promise<string>((resolve) => {
      const c = tls.connect({ port: (srv.address() as { port: number }).port, host: '127.0.0.1', servername, ca });
      let body = '';
      c.on('data', (d) => { body += d; });
      c.on('end', () => resolve(body));
      c.on('error', (e: NodeJS.ErrnoException) => resolve(`refused: ${e.code ?? e.message}`));
    });
  } finally {
    srv.close();
  }
}

test('GIVEN a BackendTLSPolicy whose CA is a ConfigMap WHEN the sidecar\'s cluster for the backend names configmap://<ns>/<name>-cacert and the sidecar asks SDS for it THEN it gets the ConfigMap\'s ca.crt as trusted CA, which verifies the backend\'s certificate and refuses another CA\'s', async () => {
  const clusters = (await fetch(TYPE_URL.cluster, [])).map((a) => anyUnpack(a, ClusterSchema)!);
  const api = clusters.find((c) => c.name === 'outbound|443||api.shop.svc.cluster.local');
  assert.ok(api, `clusters: ${clusters.map((c) => c.name).join(', ')}`);
  const ctx = anyUnpack(api!.transportSocket!.configType.value as Parameters<typeof anyUnpack>[0], UpstreamTlsContextSchema)!;
  const validation = ctx.commonTlsContext?.validationContextType;
  const sdsName = validation?.case === 'combinedValidationContext' ? validation.value.validationContextSdsSecretConfig?.name : undefined;
  assert.is(sdsName, 'configmap://shop/api-ca-cacert');
  assert.is(ctx.sni, 'api.internal.example.com');

  const secrets = await secretsOf([sdsName!]);
  const ca = secrets.get(sdsName!);
  assert.is(ca?.type.case, 'validationContext');
  const trusted = text(ca?.type.case === 'validationContext' ? ca.type.value.trustedCa : undefined);
  assert.is(trusted.trim(), backendCaPem.trim());
  assert.is(await handshake(good, trusted, ctx.sni), 'ok');
  assert.match(await handshake(forged, trusted, ctx.sni), /^refused: /, 'a certificate from another CA fails verification');
});

test('GIVEN a rule naming a ConfigMap CA that is not in the input and one whose ca.crt is not PEM WHEN the sidecar asks for them THEN neither is served, and xds serve says which ConfigMap and what to fix', async () => {
  const secrets = await secretsOf(['configmap://shop/absent-ca-cacert', 'configmap://shop/broken-ca-cacert', 'configmap://shop/api-ca-cacert']);
  assert.equal([...secrets.keys()], ['configmap://shop/api-ca-cacert']);
  const absent = logs.filter((l) => l.includes('configmap://shop/absent-ca-cacert'));
  assert.equal(absent.length, 1, logs.join('\n'));
  assert.match(absent[0]!, /ConfigMap shop\/absent-ca is not in the input.*data\."ca\.crt"/);
  const broken = logs.filter((l) => l.includes('broken-ca'));
  assert.equal(broken.length, 1, logs.join('\n'));
  assert.match(broken[0]!, /mesh\.yaml:\d+: ConfigMap shop\/broken-ca: data\."ca\.crt" is not a PEM certificate/);
});

test('GIVEN a sidecar subscribed to the ConfigMap CA WHEN the ConfigMap\'s ca.crt changes and xds serve reloads THEN the new CA is pushed under the same name', async () => {
  const name = 'configmap://shop/api-ca-cacert';
  const s = openAds(h.port);
  try {
    s.send({ node: { id: 'shop/web' }, typeUrl: SECRET_TYPE_URL, resourceNames: [name] });
    const first = await s.next(30_000);
    s.send({ typeUrl: SECRET_TYPE_URL, resourceNames: [name], versionInfo: first.versionInfo, responseNonce: first.nonce });
    const file = join(work, 'mesh.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(indent(backendCaPem, 4), indent(otherCaPem, 4)));
    assert.ok(await h.reload());
    const next = await s.next(30_000);
    const ca = next.resources.map((a) => anyUnpack(a, SecretSchema)!).find((x) => x.name === name);
    assert.is(text(ca?.type.case === 'validationContext' ? ca.type.value.trustedCa : undefined).trim(), otherCaPem.trim());
    s.send({ typeUrl: SECRET_TYPE_URL, resourceNames: [name], versionInfo: next.versionInfo, responseNonce: next.nonce });
  } finally {
    s.close();
  }
});

test.run();
