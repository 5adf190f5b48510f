/**
 * A deferred snapshot that cannot be made when its node connects (`--no-check` input no Envoy config
 * can carry) falls back to the config an eager build would have kept serving: the one deferred before
 * it. The failure is logged and shown on `/status` (`nodeSnapshots`, `?node=`), with what the node
 * serves instead.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';
import { createCa, issueServerCertificate } from '../../src/pki/index.js';
import { TYPE_URL } from '../../src/xds/resources.js';
import { WorkloadCertificates } from '../../src/xds/sds/workload-certificates.js';
import { openAds } from './_ads-client.js';
import { APP, rule } from './_one-service-app.js';

interface Failure { message: string; at: string }
interface Status { snapshots: Record<string, string>; nodeSnapshots: Record<string, { version?: string; deferredSince?: string; failure?: Failure; previousFailure?: Failure }> }

test('GIVEN a node that never connected WHEN a reload brings config that cannot be translated and then the node connects THEN it gets the config an eager build kept (the previous reload\'s), and the failure is logged and on /status', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-fallback-'));
  writeFileSync(join(work, 'app.yaml'), APP + rule('50'));
  const certificates = new WorkloadCertificates(await createCa({ trustDomain: 'cluster.local' }));
  const logs: string[] = [];
  const common = { paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, certificates };
  const eager = await startServe({ ...common, eager: true, log: () => {} });
  const lazy = await startServe({ ...common, status: '127.0.0.1:0', log: (l) => logs.push(l) });
  const status = async (query = '') => (await fetch(`http://127.0.0.1:${lazy.statusPort}/status${query}`)).json();
  try {
    assert.is(lazy.cache.versionOf('shop/web'), 'deferred');
    writeFileSync(join(work, 'app.yaml'), APP + rule('.inf'));
    assert.ok(await eager.reload());
    assert.ok(await lazy.reload());
    assert.not.ok(logs.some((l) => l.includes('cannot translate')), 'nothing made, nothing failed yet');
    const kept = eager.cache.getSnapshot('shop/web');
    assert.ok(kept, 'the eager build kept the first config');

    const served = lazy.cache.getSnapshot('shop/web');
    assert.ok(served, 'the lazy one serves a config too');
    assert.is(served!.version, kept!.version, 'the same config: the previous reload\'s');
    const failedLines = logs.filter((l) => l.includes('cannot translate'));
    assert.is(failedLines.length, 1, failedLines.join('\n'));
    assert.match(failedLines[0]!, new RegExp(`^xds serve: shop/web: cannot translate its config \\(.*Infinity.*\\); .*; serving its previous config instead, the one deferred at \\S+ \\(version ${kept!.version}\\)$`));
    const s = await status() as Status;
    assert.is(s.snapshots['shop/web'], kept!.version);
    assert.match(s.nodeSnapshots['shop/web']?.failure?.message ?? '', /^cannot translate its config \(.*Infinity/);
    assert.is(s.nodeSnapshots['shop/web']?.version, kept!.version, 'what it serves instead');
    const one = await status('?node=shop/web') as { version: string; types: Record<string, { resources: string[] }>; failure?: { message: string } };
    assert.is(one.version, kept!.version);
    assert.ok(one.types.cluster!.resources.includes('outbound|80||web.shop.svc.cluster.local'), JSON.stringify(one.types.cluster));
    assert.match(one.failure?.message ?? '', /Infinity/);
    const missing = await fetch(`http://127.0.0.1:${lazy.statusPort}/status?node=shop/nope`);
    assert.is(missing.status, 404);
    assert.match((await missing.json() as { error: string }).error, /no snapshot for node "shop\/nope"/);

    // Fixed: deferred again (the node has no stream): its made version stays visible, and the failure
    // only as the previous attempt's (the newest snapshot, pending, has not failed).
    writeFileSync(join(work, 'app.yaml'), APP + rule('30'));
    assert.ok(await lazy.reload());
    const pending = (await status() as Status).nodeSnapshots['shop/web'];
    assert.is(pending?.version, kept!.version);
    assert.type(pending?.deferredSince, 'string');
    assert.is(pending?.failure, undefined, 'no current failure: the newest snapshot is pending');
    assert.match(pending?.previousFailure?.message ?? '', /^cannot translate its config \(.*Infinity/);
    assert.ok(pending!.previousFailure!.at <= pending!.deferredSince!, 'the earlier attempt, before the pending snapshot');
    assert.ok(lazy.cache.getSnapshot('shop/web')!.version !== kept!.version, 'the fixed config is made');
    assert.is((await status() as Status).nodeSnapshots['shop/web'], undefined, 'nothing more to say about it');
  } finally {
    await eager.close();
    await lazy.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a node that never connected and a reload whose config cannot be translated WHEN the certificates are then re-issued (a renewal reload of the same input) and the node connects THEN it still gets the last good config, with its re-issued certificate', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-fallback-'));
  writeFileSync(join(work, 'app.yaml'), APP + rule('50'));
  let clock = Date.now();
  const certificates = new WorkloadCertificates(await createCa({ trustDomain: 'cluster.local' }), { ttlSeconds: 3600, now: () => clock });
  const logs: string[] = [];
  const common = { paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, certificates };
  const good = await startServe({ ...common, log: () => {} });
  const lazy = await startServe({ ...common, log: (l) => logs.push(l) });
  try {
    const expected = good.cache.getSnapshot('shop/web')!;
    writeFileSync(join(work, 'app.yaml'), APP + rule('.inf'));
    assert.ok(await lazy.reload());
    clock += 2000 * 1000;
    assert.ok(await lazy.reload(), 'the same input past renewal time');
    clock = Date.now();
    assert.match(logs.at(-1)!, /workload certificates? re-issued/, logs.at(-1));
    assert.is(lazy.cache.versionOf('shop/web'), 'deferred');
    const served = lazy.cache.getSnapshot('shop/web');
    assert.ok(served, `the node gets a config: ${logs.slice(-3).join(' | ')}`);
    for (const kind of ['cluster', 'endpoint', 'listener', 'route'] as const) assert.is(served!.types[kind].version, expected.types[kind].version, `${kind}: the last good config`);
    assert.not.equal(served!.types.secret.version, expected.types.secret.version, 'a re-issued certificate');
  } finally {
    await good.close();
    await lazy.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a node whose first config cannot be made WHEN it connects THEN it gets nothing and is told why (its config, not its workload)', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-fallback-'));
  writeFileSync(join(work, 'app.yaml'), APP + rule('.inf'));
  const logs: string[] = [];
  const h = await startServe({ paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
  const stream = openAds(h.port);
  try {
    stream.send({ node: { id: 'shop/web' }, typeUrl: TYPE_URL.cluster });
    assert.ok(await stream.silentFor(300), 'nothing to send');
    const failed = logs.filter((l) => /^xds serve: shop\/web: cannot translate its config/.test(l));
    assert.is(failed.length, 1, logs.join('\n'));
    assert.match(failed[0]!, /; it has no config that could be made and gets nothing until the input is fixed$/, 'never "keeping its last good config": it has none');
    const told = logs.find((l) => l.includes('"shop/web" has no snapshot'));
    assert.match(told ?? '', /has no snapshot and gets nothing: its config could not be made \(cannot translate its config \(.*Infinity/, logs.join('\n'));
  } finally {
    stream.close();
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});


test('GIVEN a gateway that never connected WHEN a reload deletes its credential Secret and brings config that cannot be translated THEN on connecting it gets the previous reload\'s config with that reload\'s credential, as the eager build serves it', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-fallback-'));
  const ca = await createCa({ trustDomain: 'example.com' });
  const cred = await issueServerCertificate(ca, { dnsNames: ['web.example.com'] });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const gateway = `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ingress, namespace: shop }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  template:
    metadata: { labels: { istio: ingressgateway } }
    spec: { containers: [{ name: istio-proxy, image: istio/proxyv2, args: [proxy, router] }] }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: web, namespace: shop }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 443, name: https, protocol: HTTPS }, hosts: [web.example.com], tls: { mode: SIMPLE, credentialName: web-cred } }]
`;
  const secret = `---
apiVersion: v1
kind: Secret
metadata: { name: web-cred, namespace: shop }
type: kubernetes.io/tls
data: { tls.crt: ${b64(cred.certificateChainPem)}, tls.key: ${b64(cred.privateKeyPem)} }
`;
  writeFileSync(join(work, 'app.yaml'), APP + rule('50') + gateway + secret);
  const certificates = new WorkloadCertificates(await createCa({ trustDomain: 'cluster.local' }));
  const common = { paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, certificates, log: () => {} };
  const eager = await startServe({ ...common, eager: true });
  const lazy = await startServe(common);
  try {
    writeFileSync(join(work, 'app.yaml'), APP + rule('.inf') + gateway);
    assert.ok(await eager.reload());
    assert.ok(await lazy.reload());
    const kept = eager.cache.getSnapshot('shop/ingress')!;
    assert.ok(kept.types.secret.resources.has('kubernetes://web-cred'), 'the eager build kept the first config, credential included');
    const served = lazy.cache.getSnapshot('shop/ingress')!;
    assert.ok(served.types.secret.resources.has('kubernetes://web-cred'), `the listener's credential is served with it: ${[...served.types.secret.resources.keys()].join(', ')}`);
    assert.is(served.version, kept.version);
  } finally {
    await eager.close();
    await lazy.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN nodes whose config cannot be made any more (--no-check) WHEN their workload certificates are re-issued THEN each keeps its last made config with the new certificate, never an expired one (made at once, eager, or when it connects)', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-fallback-'));
  writeFileSync(join(work, 'app.yaml'), APP + rule('50'));
  let clock = Date.now();
  const certificates = new WorkloadCertificates(await createCa({ trustDomain: 'cluster.local' }), { ttlSeconds: 3600, now: () => clock });
  const common = { paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, certificates, log: () => {} };
  const eager = await startServe({ ...common, eager: true });
  const lazy = await startServe(common);
  try {
    const first = eager.cache.getSnapshot('shop/web')!;
    assert.is(lazy.cache.getSnapshot('shop/web')!.version, first.version, 'the lazy node made once, as if it had connected');
    writeFileSync(join(work, 'app.yaml'), APP + rule('.inf'));
    for (const h of [eager, lazy]) assert.ok(await h.reload());
    clock += 2000 * 1000;
    for (const h of [eager, lazy]) assert.ok(await h.reload(), 'the same input past renewal time');
    for (const [name, h] of [['eager', eager], ['lazy', lazy]] as const) {
      const served = h.cache.getSnapshot('shop/web')!;
      for (const kind of ['cluster', 'endpoint', 'listener', 'route'] as const) assert.is(served.types[kind].version, first.types[kind].version, `${name} ${kind}: the last made config`);
      assert.not.equal(served.types.secret.version, first.types.secret.version, `${name}: the re-issued certificate, not the one about to expire`);
    }
  } finally {
    clock = Date.now();
    await eager.close();
    await lazy.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
