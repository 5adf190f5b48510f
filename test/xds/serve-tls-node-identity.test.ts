/**
 * `xds serve --tls`: a client names only nodes of its own identity, as istiod's identity check
 * (`pilot/pkg/xds/auth.go`, `checkConnectionIdentity`): the node's config namespace must be the
 * namespace of the SPIFFE ID in the client certificate, and when the node says its service account
 * (metadata SERVICE_ACCOUNT) that too. Anything else ends the stream with PERMISSION_DENIED before any
 * response, is logged once per node and identity, and shown on /status (`refusedNodes`). Real gRPC
 * over real mutual TLS on loopback.
 */
import * as grpc from '@grpc/grpc-js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { CLIENT_CERT_FILES, writeClientCertificate } from '../../src/cli/xds-client-cert.js';
import { type CertificateAuthority, issueWorkloadCertificate, loadCaFromFiles } from '../../src/pki/index.js';
import type { DiscoveryRequestSchema } from '../../src/xds/gen/envoy/service/discovery/v3/discovery_pb.js';
import { TYPE_URL } from '../../src/xds/resources.js';
import { makeCa } from '../runtime/_processes.js';
import { newAdsClient, openAds } from './_ads-client.js';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-node-identity-'));
for (const f of ['bookinfo.k8s.yaml', 'httpbin.k8s.yaml']) copyFileSync(join(ROOT, 'dist', f), join(work, f));
const caFiles = makeCa(mkdtempSync(join(work, 'ca-')));
let h: XdsServeHandle;
let ca: CertificateAuthority;
const logs: string[] = [];
const certs: Record<string, string> = {};

test.before(async () => {
  h = await startServe({ paths: [work], listen: '127.0.0.1:0', status: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l), caCert: caFiles.cert, caKey: caFiles.key, tls: {} });
  ca = await loadCaFromFiles({ certFile: caFiles.cert, keyFile: caFiles.key, trustDomain: h.ca.trustDomain });
  for (const id of ['bookinfo/details', 'httpbin/httpbin']) {
    const [ns, sa] = id.split('/') as [string, string];
    certs[id] = join(work, `client-${ns}-${sa}`);
    await writeClientCertificate(ca, ns, sa, certs[id]!);
  }
});
test.after(async () => {
  await h?.close();
  rmSync(work, { recursive: true, force: true });
});

const read = (dir: string, f: keyof typeof CLIENT_CERT_FILES) => readFileSync(join(dir, CLIENT_CERT_FILES[f]));
const as = (identity: string) => grpc.credentials.createSsl(read(certs[identity]!, 'root'), read(certs[identity]!, 'key'), read(certs[identity]!, 'chain'));
type NodeInit = MessageInitShape<typeof DiscoveryRequestSchema>['node'];
const istioNode = (pod: string, ns: string, metadata: Record<string, string> = {}): NodeInit => ({ id: `sidecar~10.1.2.3~${pod}.${ns}~${ns}.svc.cluster.local`, metadata });

/** Asks CDS for `node` over a stream authenticated with `credentials`: the response's cluster count, or the status the stream ended with first. */
async function askClusters(credentials: grpc.ChannelCredentials, node: NodeInit): Promise<{ clusters: number } | grpc.StatusObject> {
  const s = openAds(h.port, newAdsClient(h.port, credentials));
  try {
    s.send({ node, typeUrl: TYPE_URL.cluster, resourceNames: [] });
    return await Promise.race([s.next(30_000).then((r) => ({ clusters: r.resources.length })), s.ended]);
  } finally {
    s.close();
  }
}

interface Refused { nodeId: string; namespace: string; serviceAccount?: string; peerIdentity: string; reason: string; count: number }
const refusedNodes = async () => ((await (await fetch(`http://127.0.0.1:${h.statusPort}/status`)).json()) as { refusedNodes?: Refused[] }).refusedNodes ?? [];
const spiffe = (ns: string, sa: string) => `spiffe://${h.ca.trustDomain}/ns/${ns}/sa/${sa}`;

test('GIVEN the certificate of bookinfo/details WHEN it names a node of its namespace (meshproof id, Istio id, another workload) THEN it is served', async () => {
  for (const node of [{ id: 'bookinfo/details-v1' }, { id: 'bookinfo/reviews-v1' }, istioNode('details-v1-7f9c6d-x2x4z', 'bookinfo')]) {
    const got = await askClusters(as('bookinfo/details'), node);
    assert.ok('clusters' in got && got.clusters > 0, `${node?.id}: ${JSON.stringify(got)}`);
  }
});

test('GIVEN the certificate of bookinfo/details WHEN it names node httpbin/httpbin-v1 THEN PERMISSION_DENIED before any response, naming identity, node and fix; logged once, counted on /status', async () => {
  const first = await askClusters(as('bookinfo/details'), { id: 'httpbin/httpbin-v1' });
  assert.ok('code' in first, 'a client of bookinfo got the clusters of httpbin/httpbin-v1');
  assert.is(first.code, grpc.status.PERMISSION_DENIED, first.details);
  assert.is(first.details, `node.id "httpbin/httpbin-v1" is not served to this client: the client authenticated as ${spiffe('bookinfo', 'details')} (namespace bookinfo), and the node is in namespace httpbin; a client may only name nodes of its certificate's namespace; `
    + 'issue a client certificate for that identity: meshproof xds client-cert --identity httpbin/<service account> --out <dir> --ca-cert <file> --ca-key <file> (or xds serve --tls --issue-client-cert httpbin/<service account>=<dir>)');
  const again = await askClusters(as('bookinfo/details'), { id: 'httpbin/httpbin-v1' });
  assert.ok('code' in again && again.code === grpc.status.PERMISSION_DENIED, JSON.stringify(again));
  const lines = logs.filter((l) => l.includes('node "httpbin/httpbin-v1" refused'));
  assert.is(lines.length, 1, logs.join('\n'));
  assert.match(lines[0]!, /^xds serve: node "httpbin\/httpbin-v1" refused \(PERMISSION_DENIED\): the client authenticated as spiffe:\/\/\S+\/ns\/bookinfo\/sa\/details \(namespace bookinfo\), and the node is in namespace httpbin; .* \(see \/status, refusedNodes\)$/);
  const record = (await refusedNodes()).find((r) => r.nodeId === 'httpbin/httpbin-v1');
  assert.ok(record, 'no refusedNodes record');
  assert.equal([record!.namespace, record!.peerIdentity, record!.count], ['httpbin', spiffe('bookinfo', 'details'), 2]);
  // httpbin's own certificate is served.
  const own = await askClusters(as('httpbin/httpbin'), { id: 'httpbin/httpbin-v1' });
  assert.ok('clusters' in own && own.clusters > 0, JSON.stringify(own));
});

test('GIVEN an Istio node id WHEN its namespace (NAMESPACE metadata first, as the node key) or its SERVICE_ACCOUNT metadata is not the certificate\'s THEN PERMISSION_DENIED; a matching SERVICE_ACCOUNT is served', async () => {
  const otherNs = await askClusters(as('bookinfo/details'), istioNode('details-v1-7f9c6d-x2x4z', 'bookinfo', { NAMESPACE: 'httpbin' }));
  assert.ok('code' in otherNs && otherNs.code === grpc.status.PERMISSION_DENIED, `NAMESPACE metadata httpbin: ${JSON.stringify(otherNs)}`);
  assert.match(otherNs.details, /and the node is in namespace httpbin/);
  const otherSa = await askClusters(as('bookinfo/details'), istioNode('reviews-v1-7f9c6d-x2x4z', 'bookinfo', { SERVICE_ACCOUNT: 'reviews' }));
  assert.ok('code' in otherSa && otherSa.code === grpc.status.PERMISSION_DENIED, `SERVICE_ACCOUNT reviews: ${JSON.stringify(otherSa)}`);
  assert.match(otherSa.details, /\(service account details\), and the node says it runs as service account reviews \(node metadata SERVICE_ACCOUNT\); .*--identity bookinfo\/reviews /);
  const sameSa = await askClusters(as('bookinfo/details'), istioNode('details-v1-7f9c6d-x2x4z', 'bookinfo', { SERVICE_ACCOUNT: 'details' }));
  assert.ok('clusters' in sameSa && sameSa.clusters > 0, JSON.stringify(sameSa));
});

test('GIVEN a placed node id of another namespace WHEN a client of bookinfo names it THEN PERMISSION_DENIED and nothing is placed for it', async () => {
  const got = await askClusters(as('bookinfo/details'), { id: 'httpbin/httpbin-v1?bind=127.0.0.1&as=bookinfo/details' });
  assert.ok('code' in got && got.code === grpc.status.PERMISSION_DENIED, JSON.stringify(got));
  const status = (await (await fetch(`http://127.0.0.1:${h.statusPort}/status`)).json()) as { nodes: { nodeId: string }[] };
  assert.not.ok(status.nodes.some((n) => n.nodeId.startsWith('httpbin/httpbin-v1?')), JSON.stringify(status.nodes));
  assert.not.ok(logs.some((l) => l.includes('httpbin/httpbin-v1?') && !l.includes('refused')), logs.join('\n'));
});

test('GIVEN a certificate of the mesh CA whose SPIFFE ID names no namespace WHEN it names any node THEN PERMISSION_DENIED saying so', async () => {
  const cert = await issueWorkloadCertificate(ca, { spiffeId: `spiffe://${h.ca.trustDomain}/workload/batch` });
  const got = await askClusters(grpc.credentials.createSsl(readFileSync(caFiles.cert), Buffer.from(cert.privateKeyPem), Buffer.from(cert.certificateChainPem)), { id: 'bookinfo/details-v1' });
  assert.ok('code' in got && got.code === grpc.status.PERMISSION_DENIED, JSON.stringify(got));
  assert.match(got.details, /authenticated as spiffe:\/\/\S+\/workload\/batch, which names no namespace/);
});

test('GIVEN a stream served for bookinfo/details-v1 WHEN a later request names node httpbin/httpbin-v1 THEN the stream ends (the node is fixed by the first request) and nothing of httpbin is sent', async () => {
  const s = openAds(h.port, newAdsClient(h.port, as('bookinfo/details')));
  try {
    s.send({ node: { id: 'bookinfo/details-v1' }, typeUrl: TYPE_URL.cluster, resourceNames: [] });
    const r = await s.next(30_000);
    s.send({ typeUrl: TYPE_URL.cluster, resourceNames: [], versionInfo: r.versionInfo, responseNonce: r.nonce });
    s.send({ node: { id: 'httpbin/httpbin-v1' }, typeUrl: TYPE_URL.listener, resourceNames: [] });
    const end = await Promise.race([s.next(30_000).then((x) => ({ response: x.typeUrl })), s.ended]);
    assert.ok('code' in end, `a response came after the node changed: ${JSON.stringify(end)}`);
    assert.is(end.code, grpc.status.INVALID_ARGUMENT, end.details);
    assert.match(end.details, /node\.id changed on one stream from "bookinfo\/details-v1" to "httpbin\/httpbin-v1"/);
  } finally {
    s.close();
  }
});

test.run();
