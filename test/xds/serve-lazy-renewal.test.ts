/**
 * Workload certificates with deferred snapshots: a reload of unchanged input makes nothing, except
 * for the nodes whose certificate was re-issued (at half its life): a connected node is pushed its
 * new `default` secret, a node that connects later gets the new certificate too.
 */
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';
import { createCa, workloadSpiffeId } from '../../src/pki/index.js';
import { SecretSchema } from '../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { SECRET_TYPE_URL } from '../../src/xds/resources.js';
import { WorkloadCertificates } from '../../src/xds/sds/workload-certificates.js';
import type { Snapshot } from '../../src/xds/snapshot.js';
import { openAds } from './_ads-client.js';
import { BASE, baseWorkloads } from './translate/_carry.js';

/** The certificate chain PEM of a `default` secret. */
function chainOf(any: Parameters<typeof anyUnpack>[0]): string {
  const s = anyUnpack(any, SecretSchema)!;
  assert.is(s.type.case, 'tlsCertificate');
  const chain = s.type.case === 'tlsCertificate' ? s.type.value.certificateChain?.specifier : undefined;
  return new TextDecoder().decode(chain?.value as Uint8Array);
}
const defaultOf = (s: Snapshot) => chainOf(s.types.secret.resources.get('default')!);

test('GIVEN lazy xds serve with one node connected WHEN an unchanged reload follows certificate renewal time THEN the connected node is pushed its new certificate, a node connecting later gets it too, and a reload before that time makes nothing', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-renewal-'));
  writeFileSync(join(work, 'mesh.yaml'), BASE);
  writeFileSync(join(work, 'workloads.json'), JSON.stringify({ workloads: baseWorkloads() }));
  let clock = Date.now();
  const certificates = new WorkloadCertificates(await createCa({ trustDomain: 'cluster.local' }), { ttlSeconds: 3600, now: () => clock });
  const logs: string[] = [];
  const h = await startServe({ paths: ['mesh.yaml'], workloads: 'workloads.json', listen: '127.0.0.1:0', cwd: work, watch: false, check: false, certificates, log: (l) => logs.push(l) });
  const stream = openAds(h.port);
  try {
    stream.send({ node: { id: 'shop/reviews-v1' }, typeUrl: SECRET_TYPE_URL, resourceNames: ['default'] });
    const first = await stream.next(30_000);
    stream.send({ typeUrl: SECRET_TYPE_URL, resourceNames: ['default'], versionInfo: first.versionInfo, responseNonce: first.nonce });
    const oldChain = chainOf(first.resources[0]!);

    clock += 1000 * 1000;
    assert.ok(await h.reload());
    assert.equal([h.publish().made, h.publish().deferred], [0, 0], 'before half its life: nothing is re-issued, nothing made');
    assert.match(logs.at(-1)!, /^xds serve: unchanged: \d+ snapshots still served \(\d+ deferred until their node connects\); reloaded in/);
    assert.ok(await stream.silentFor(200), 'nothing pushed');

    clock += 1000 * 1000;
    assert.ok(await h.reload());
    // Certificates are issued at real time: back to it, so the new ones are not due at once.
    clock = Date.now();
    const renewal = h.publish();
    assert.equal([renewal.made, renewal.published], [1, 1], `the connected node is made again: ${JSON.stringify(renewal)}`);
    assert.match(logs.at(-1)!, /^xds serve: 1 snapshot\(s\) published, \d+ deferred until their node connects; \d+ workload certificates re-issued; reloaded in .*the previous graph kept\)$/, logs.at(-1));
    const pushed = await stream.next(30_000);
    assert.is(pushed.typeUrl, SECRET_TYPE_URL);
    const newChain = chainOf(pushed.resources[0]!);
    assert.not.equal(newChain, oldChain, 'a new certificate');
    assert.is(newChain, (await certificates.certificateFor(workloadSpiffeId('cluster.local', 'shop', 'default'))).certificateChainPem);

    assert.is(h.cache.versionOf('front/ratings'), 'deferred');
    assert.is(defaultOf(h.cache.getSnapshot('front/ratings')!), (await certificates.certificateFor(workloadSpiffeId('cluster.local', 'front', 'default'))).certificateChainPem, 'a node connecting later gets the re-issued certificate');
  } finally {
    stream.close();
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN lazy xds serve with one node connected WHEN the input becomes unusable (a YAML syntax error) and stays so past the certificates\' renewal time THEN the renewal still happens on the last good config: the connected node is pushed a new certificate, a node connecting later gets it, and renewal stays scheduled', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-renewal-'));
  writeFileSync(join(work, 'mesh.yaml'), BASE);
  writeFileSync(join(work, 'workloads.json'), JSON.stringify({ workloads: baseWorkloads() }));
  let clock = Date.now();
  const certificates = new WorkloadCertificates(await createCa({ trustDomain: 'cluster.local' }), { ttlSeconds: 3600, now: () => clock });
  const logs: string[] = [];
  const h = await startServe({ paths: ['mesh.yaml'], workloads: 'workloads.json', listen: '127.0.0.1:0', cwd: work, watch: false, check: false, certificates, log: (l) => logs.push(l) });
  const stream = openAds(h.port);
  try {
    stream.send({ node: { id: 'shop/reviews-v1' }, typeUrl: SECRET_TYPE_URL, resourceNames: ['default'] });
    const first = await stream.next(30_000);
    stream.send({ typeUrl: SECRET_TYPE_URL, resourceNames: ['default'], versionInfo: first.versionInfo, responseNonce: first.nonce });
    const oldChain = chainOf(first.resources[0]!);
    const lastGood = h.cache.getSnapshot('shop/reviews-v1')!;
    writeFileSync(join(work, 'mesh.yaml'), `${BASE}\n---\nkind: Service\nmetadata: { name: broken\n`);
    assert.not.ok(await h.reload(), 'the broken input is refused');
    assert.is(h.publish().outcome, 'unusable');
    assert.not.ok(logs.some((l) => l.includes('re-issued on the last good config')), 'before renewal time a refused reload re-issues nothing');
    assert.ok(await stream.silentFor(200), 'and pushes nothing');

    clock += 2000 * 1000;
    assert.not.ok(await h.reload(), 'still refused past renewal time');
    clock = Date.now();
    assert.match(logs.at(-1)!, /^xds serve: \d+ workload certificates? re-issued on the last good config \(the input is still refused\): 1 snapshot\(s\) published/, logs.slice(-3).join('\n'));
    const pushed = await stream.next(30_000);
    assert.is(pushed.typeUrl, SECRET_TYPE_URL);
    const newChain = chainOf(pushed.resources[0]!);
    assert.not.equal(newChain, oldChain, 'a new certificate, though the input is refused');
    const now = h.cache.getSnapshot('shop/reviews-v1')!;
    assert.is(now.types.route.version, lastGood.types.route.version, 'the routes are the last good config\'s');
    assert.is(defaultOf(h.cache.getSnapshot('front/ratings')!), (await certificates.certificateFor(workloadSpiffeId('cluster.local', 'front', 'default'))).certificateChainPem, 'a node connecting later gets the re-issued certificate');
    assert.is(h.publish().outcome, 'unusable', '/status still says the newest input is refused');
  } finally {
    stream.close();
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
