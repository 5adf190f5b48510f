/**
 * `xds serve --tls --token-review`: clients authenticate as istiod's KubeJWTAuthenticator has them do,
 * with a Kubernetes service-account token in `authorization: Bearer <token>` metadata over TLS, judged
 * by a TokenReview (audience istio-ca) at the API server. Real gRPC over real TLS; the API server is a
 * local HTTPS server (certificate from our PKI, trusted through the kubeconfig) answering TokenReviews
 * with responses in the shape a real one sends (recorded from kind 1.31, uids shortened).
 */
import * as grpc from '@grpc/grpc-js';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { spiffeIdOfCertificate } from '../../src/pki/index.js';
import { SECRET_TYPE_URL, TYPE_URL } from '../../src/xds/resources.js';
import { main } from '../../src/cli/main.js';
import { startProxy } from '../../src/proxy/main.js';
import { captureIO } from '../cli/_io.js';
import { loadKubeConfig } from '../../src/xds/endpoints/kubernetes-source.js';
import { identityOfTokenReview, kubeTokenReviewer } from '../../src/xds/server/token-review.js';
import { makeCa } from '../runtime/_processes.js';
import { type FakeKubeApi, type PostHandler, startFakeKubeApi } from './_kube-api.js';
import { newAdsClient, openAds, secretsOf } from './_ads-client.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-token-'));
for (const f of ['bookinfo.k8s.yaml', 'httpbin.k8s.yaml']) copyFileSync(join(ROOT, 'dist', f), join(work, f));
const caFiles = makeCa(mkdtempSync(join(work, 'ca-')));
let api: FakeKubeApi;
let h: XdsServeHandle;
const logs: string[] = [];
const reviews: Record<string, unknown>[] = [];

/** What the API server answers for each token (a TokenReview's status, as kube-apiserver fills it). */
const STATUS: Record<string, Record<string, unknown>> = {
  'token-details': {
    authenticated: true,
    user: {
      username: 'system:serviceaccount:bookinfo:details', uid: '5b0c1f2e',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:bookinfo', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-name': ['details-v1-7f9c6d-x2x4z'], 'authentication.kubernetes.io/pod-uid': ['0d1e2f3a'] },
    },
    audiences: ['istio-ca'],
  },
  'token-for-the-api': { user: {}, error: '[invalid bearer token, token audiences ["https://kubernetes.default.svc.cluster.local"] is invalid for the target audiences ["istio-ca"], unknown]' },
  'token-of-a-user': { authenticated: true, user: { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] }, audiences: ['istio-ca'] },
};
/** Reviews of `slow-…` tokens are answered only once this resolves (an API server slow to answer). */
let slowAnswers = Promise.resolve();
const tokenReview: PostHandler = async (body) => {
  reviews.push(body);
  const spec = body.spec as { token: string };
  if (spec.token.startsWith('slow-')) await slowAnswers;
  return { code: 201, body: { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: STATUS[spec.token] ?? { user: {}, error: '[invalid bearer token, square/go-jose: error in cryptographic primitive]' } } };
};

test.before(async () => {
  api = await startFakeKubeApi([
    { path: '/apis/discovery.k8s.io/v1/endpointslices', listKind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', items: [] },
    { path: '/api/v1/pods', listKind: 'PodList', apiVersion: 'v1', items: [] },
  ], { [TOKEN_REVIEWS]: tokenReview });
  api.writeKubeconfig(join(work, 'kubeconfig'));
  h = await startServe({ paths: [work], listen: '127.0.0.1:0', status: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l), caCert: caFiles.cert, caKey: caFiles.key, tls: {}, kubeconfig: 'kubeconfig', tokenReview: {} });
});
test.after(async () => {
  await h?.close();
  await api?.close();
  rmSync(work, { recursive: true, force: true });
});

/** TLS that verifies the server and presents no client certificate. */
const tls = () => grpc.credentials.createSsl(readFileSync(caFiles.cert));

/** Asks `typeUrl` for `nodeId` with `metadata`: the response, or the status the stream ended with first. */
async function ask(nodeId: string, typeUrl: string, names: string[], metadata: Record<string, string>) {
  const s = openAds(h.port, newAdsClient(h.port, tls()), metadata);
  try {
    s.send({ node: { id: nodeId }, typeUrl, resourceNames: names });
    return await Promise.race([s.next(30_000).then((r) => ({ response: r })), s.ended]);
  } finally {
    s.close();
  }
}

test('GIVEN the token of bookinfo/details WHEN it asks for its node\'s clusters and workload certificate THEN the API server reviewed it for audience istio-ca, and it gets both, the certificate issued for that service account', async () => {
  const cds = await ask('bookinfo/details-v1', TYPE_URL.cluster, [], { authorization: 'Bearer token-details' });
  assert.ok('response' in cds && cds.response.resources.length > 0, 'code' in cds ? cds.details : 'no clusters');
  assert.equal(reviews.at(-1), { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'token-details', audiences: ['istio-ca'] } });
  const sds = await ask('bookinfo/details-v1', SECRET_TYPE_URL, ['default'], { authorization: 'Bearer token-details' });
  assert.ok('response' in sds, 'code' in sds ? sds.details : '');
  const chain = secretsOf(sds.response).get('default');
  const pem = new TextDecoder().decode((chain?.type.case === 'tlsCertificate' ? chain.type.value.certificateChain?.specifier.value : undefined) as Uint8Array);
  assert.is(spiffeIdOfCertificate(pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0]), `spiffe://${h.ca.trustDomain}/ns/bookinfo/sa/details`);
});

test('GIVEN a token the API server accepted WHEN the same client opens more streams THEN no new TokenReview is sent (the answer is kept); a refused token is not asked about again at once either', async () => {
  const before = reviews.length;
  for (let i = 0; i < 3; i++) {
    const again = await ask('bookinfo/details-v1', TYPE_URL.cluster, [], { authorization: 'Bearer token-details' });
    assert.ok('response' in again, 'code' in again ? again.details : '');
  }
  for (let i = 0; i < 2; i++) {
    const refused = await ask('bookinfo/details-v1', TYPE_URL.cluster, [], { authorization: 'Bearer token-of-a-user' });
    assert.ok('code' in refused && refused.code === grpc.status.UNAUTHENTICATED, 'code' in refused ? refused.details : 'a response');
  }
  assert.equal(reviews.slice(before).map((r) => (r.spec as { token: string }).token), ['token-of-a-user'], 'one review: token-details was kept from the first test, token-of-a-user is kept after its refusal');
});

test('GIVEN the token of bookinfo/details WHEN it names node httpbin/httpbin-v1 THEN PERMISSION_DENIED (the identity check judges token identities as certificate ones)', async () => {
  const got = await ask('httpbin/httpbin-v1', TYPE_URL.cluster, [], { authorization: 'Bearer token-details' });
  assert.ok('code' in got && got.code === grpc.status.PERMISSION_DENIED, 'code' in got ? got.details : 'a response for another namespace');
  assert.match(got.details, /authenticated as spiffe:\/\/\S+\/ns\/bookinfo\/sa\/details \(namespace bookinfo\), and the node is in namespace httpbin/);
});

test('GIVEN tokens the API server refuses, a user\'s token, and none WHEN they open streams THEN each ends UNAUTHENTICATED before any response, saying why; refusals are logged', async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ authorization: 'Bearer token-for-the-api' }, /^the service-account token was not accepted: the API server refused the token: \[invalid bearer token, token audiences \["https:\/\/kubernetes\.default\.svc\.cluster\.local"\] is invalid for the target audiences \["istio-ca"\], unknown\]$/],
    [{ authorization: 'Bearer token-of-a-user' }, /the token is not a service account's \(user "kubernetes-admin" is not in group system:serviceaccounts\)/],
    [{}, /^no authorization metadata: this server authenticates ADS clients by a Kubernetes service-account token, sent as gRPC metadata "authorization: Bearer <token>" \(meshproof proxy --xds-token <file>/],
    [{ authorization: 'Basic dXNlcjpwYXNz' }, /^a malformed authorization metadata/],
  ];
  for (const [metadata, want] of cases) {
    const got = await ask('bookinfo/details-v1', TYPE_URL.cluster, [], metadata);
    assert.ok('code' in got, `${JSON.stringify(metadata)} got a response`);
    assert.is(got.code, grpc.status.UNAUTHENTICATED, got.details);
    assert.match(got.details, want);
  }
  assert.ok(logs.some((l) => /^xds serve: stream from \S+ refused \(UNAUTHENTICATED\): the service-account token was not accepted: the API server refused the token/.test(l)), logs.join('\n'));
});

test('GIVEN the reference proxy with --xds-ca and --xds-token (no client certificate) WHEN it follows xds serve --token-review THEN it gets its config; a refused token is retried with the server\'s reason in its log', async () => {
  const token = join(work, 'istio-token');
  writeFileSync(token, 'token-details\n');
  const proxyLogs: string[] = [];
  const proxy = await startProxy({
    xds: `127.0.0.1:${h.port}`, nodeId: 'bookinfo/details-v1?bind=127.0.0.1', admin: 'off', prometheus: 'off', readiness: 'off', log: (l) => proxyLogs.push(l),
    xdsTls: { caPem: readFileSync(caFiles.cert, 'utf8') }, xdsTokenFile: token,
  });
  try {
    await proxy.waitReady(30_000);
    assert.ok(proxy.store.versions.has('listener'), proxyLogs.join('\n'));
  } finally {
    await proxy.close();
  }
  writeFileSync(token, 'token-for-the-api');
  const refusedLogs: string[] = [];
  const refused = await startProxy({
    xds: `127.0.0.1:${h.port}`, nodeId: 'bookinfo/details-v1?bind=127.0.0.1', admin: 'off', prometheus: 'off', readiness: 'off', initialBackoffMs: 100, log: (l) => refusedLogs.push(l),
    xdsTls: { caPem: readFileSync(caFiles.cert, 'utf8') }, xdsTokenFile: token,
  });
  try {
    for (let i = 0; i < 100 && refusedLogs.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(refusedLogs[0] ?? '', /^xds: stream to 127\.0\.0\.1:\d+ ended \(UNAUTHENTICATED: the service-account token was not accepted: the API server refused the token: .*\); no config received yet, reconnecting/);
    assert.is(refused.store.versions.size, 0);
  } finally {
    await refused.close();
  }
  const cap = captureIO(work);
  assert.is(await main(['proxy', '--xds', '127.0.0.1:1', '--node', 'bookinfo/details-v1', '--xds-token', token], cap.io), 2);
  assert.match(cap.stderr(), /--xds-token sends a service-account token over TLS only: add --xds-ca <file>/);
  const missing = captureIO(work);
  assert.is(await main(['proxy', '--xds', '127.0.0.1:1', '--node', 'bookinfo/details-v1', '--xds-ca', caFiles.cert, '--xds-token', join(work, 'nope')], missing.io), 2);
  assert.match(missing.stderr(), /--xds-token \S+nope: cannot read a token \(ENOENT\)/);
});

test('GIVEN xds serve flags WHEN --token-review comes without --tls or a cluster, or --token-audience without --token-review THEN exit 2 naming the fix', async () => {
  const run = async (...args: string[]) => { const cap = captureIO(work); const code = await main(['xds', 'serve', '--input', work, ...args], cap.io); return { code, err: cap.stderr() }; };
  const noTls = await run('--token-review', '--kubeconfig', 'kubeconfig');
  assert.is(noTls.code, 2);
  assert.match(noTls.err, /--token-review authenticates clients by service-account token over TLS; add --tls/);
  assert.match((await run('--tls', '--ca-cert', caFiles.cert, '--ca-key', caFiles.key, '--token-review')).err, /--token-review asks the API server \(TokenReview\) whose tokens they are; give --kubeconfig <file> or --in-cluster/);
  assert.match((await run('--token-audience', 'x')).err, /--token-audience is the audience of --token-review/);
});

test('GIVEN --token-audience WHEN a token is reviewed THEN the TokenReview names those audiences; a reviewed user of another shape is refused', async () => {
  const review = kubeTokenReviewer(loadKubeConfig(join(work, 'kubeconfig')), ['meshproof-xds', 'istio-ca']);
  assert.equal(await review('token-details'), { namespace: 'bookinfo', serviceAccount: 'details' });
  assert.equal((reviews.at(-1)!.spec as { audiences: string[] }).audiences, ['meshproof-xds', 'istio-ca']);
  const odd = { authenticated: true, user: { username: 'system:serviceaccount:bookinfo', groups: ['system:serviceaccounts'] } };
  assert.throws(() => identityOfTokenReview(odd), /the reviewed user "system:serviceaccount:bookinfo" is not system:serviceaccount:<namespace>:<service account>/);
});

test('GIVEN an API server slow to answer WHEN more than 64 streams with distinct tokens open at once THEN 64 reviews wait, each stream past them ends RESOURCE_EXHAUSTED saying why and to retry, and the server keeps serving', async () => {
  let release!: () => void;
  slowAnswers = new Promise<void>((r) => (release = r));
  const before = reviews.length;
  const client = newAdsClient(h.port, tls());
  const streams = Array.from({ length: 70 }, (_, i) => {
    const s = openAds(h.port, client, { authorization: `Bearer slow-${i}` });
    s.send({ node: { id: 'bookinfo/details-v1' }, typeUrl: TYPE_URL.cluster, resourceNames: [] });
    return s;
  });
  try {
    const ends = streams.map((s) => s.ended);
    const ended: grpc.StatusObject[] = [];
    for (const e of ends) void e.then((status) => ended.push(status));
    // Reviews reach the fake API server over 64 connections: waited for (a loaded machine is slow), then counted.
    for (const deadline = Date.now() + 20_000; (ended.length < 6 || reviews.length - before < 64) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const busy = [...ended];
    assert.is(busy.length, 6, `6 of 70 refused at once, got ${busy.length}: ${busy.map((b) => b.details).join(' | ')}`);
    for (const b of busy) {
      assert.is(b.code, grpc.status.RESOURCE_EXHAUSTED, b.details);
      assert.match(b.details, /^the service-account token was not reviewed: 64 service-account tokens are already waiting for the API server's TokenReview; this one was not sent\. Retry shortly/);
    }
    assert.is(reviews.length - before, 64, 'the API server got 64 reviews, not 70');
    // Meanwhile a proxy whose token was reviewed before is served, and the status page answers.
    const served = await ask('bookinfo/details-v1', TYPE_URL.cluster, [], { authorization: 'Bearer token-details' });
    assert.ok('response' in served, 'code' in served ? served.details : '');
    assert.is((await fetch(`http://127.0.0.1:${h.statusPort}/status`)).status, 200);
    release();
    const rest = (await Promise.all(ends)).filter((e) => e.code !== grpc.status.RESOURCE_EXHAUSTED);
    assert.is(rest.length, 64);
    for (const e of rest) assert.is(e.code, grpc.status.UNAUTHENTICATED, e.details);
    // The waiting reviews are done: a new token is reviewed again, not refused as busy.
    const fresh = await ask('bookinfo/details-v1', TYPE_URL.cluster, [], { authorization: 'Bearer token-after-the-flood' });
    assert.ok('code' in fresh && fresh.code === grpc.status.UNAUTHENTICATED, 'code' in fresh ? fresh.details : 'a response');
    assert.match(fresh.details, /^the service-account token was not accepted: the API server refused the token/);
  } finally {
    release();
    for (const s of streams) s.cancel();
    client.close();
  }
});

test('GIVEN the API server is down WHEN a client with a new token opens a stream THEN it ends UNAUTHENTICATED naming the API server and the fix; a token reviewed before is still served, and the server keeps serving', async () => {
  await api.close();
  const kept = await ask('bookinfo/details-v1', TYPE_URL.cluster, [], { authorization: 'Bearer token-details' });
  assert.ok('response' in kept, 'code' in kept ? kept.details : '');
  const got = await ask('bookinfo/details-v1', TYPE_URL.cluster, [], { authorization: 'Bearer token-never-reviewed' });
  assert.ok('code' in got && got.code === grpc.status.UNAUTHENTICATED, 'code' in got ? got.details : 'a response with the API server down');
  assert.match(got.details, new RegExp(`^the service-account token was not accepted: cannot review the token with the API server https://127\\.0\\.0\\.1:${api.port} \\(.*ECONNREFUSED.*\\); check that it is reachable and that this server may create tokenreviews`));
  const status = await fetch(`http://127.0.0.1:${h.statusPort}/status`);
  assert.is(status.status, 200);
});

test.run();
