/**
 * The eager build is the oracle of the deferred one: a node that never connected, connecting after any
 * run of reloads, gets what `startServe({ eager: true })` serves it, i.e. the config of the last reload
 * whose snapshot for it could be made, however many reloads in a row could not make it (`--no-check`
 * and `.inf`), while each node keeps at most 1 + MAX_DEFERRED_FALLBACKS deferred snapshots.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { createCa } from '../../src/pki/index.js';
import { TYPE_URL } from '../../src/xds/resources.js';
import { WorkloadCertificates } from '../../src/xds/sds/workload-certificates.js';
import { MAX_DEFERRED_FALLBACKS } from '../../src/xds/snapshot-cache.js';
import { openAds } from './_ads-client.js';
import { APP, rule } from './_one-service-app.js';

const NODES = ['shop/web', 'grpc:shop/web'];
/** What the check suite asks of any input besides (a mesh-wide STRICT PeerAuthentication). */
const MESH_WIDE = `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: STRICT } }
`;
const KINDS = ['cluster', 'endpoint', 'listener', 'route', 'secret'] as const;

/** The node's versions, overall and per type, as a stream connecting now would be served them. */
function served(h: XdsServeHandle, node: string): string {
  const s = h.cache.getSnapshot(node);
  return s ? `${s.version} ${KINDS.map((k) => `${k}=${s.types[k].version}`).join(' ')}` : '<none>';
}

test('GIVEN an eager and a deferred server on the same --no-check input WHEN runs of good and untranslatable (.inf) reloads pass with the node never connected THEN, when it connects, it gets the eager build\'s config (the last reload that could make it), also over a real ADS stream', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-oracle-'));
  writeFileSync(join(work, 'app.yaml'), APP + rule('50'));
  const certificates = new WorkloadCertificates(await createCa({ trustDomain: 'cluster.local' }));
  const common = { paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, certificates, log: () => {} };
  const eager = await startServe({ ...common, eager: true });
  const lazy = await startServe(common);
  // Each run: the reloads' maxEjectionPercent values, then the node connects (`.inf` cannot be made).
  const runs = [
    ['.inf', '.inf'],
    ['30', '.inf', '.inf', '.inf'],
    ['40', '60', '.inf', '.inf'],
    ['.inf', '20', '.inf', '70', '.inf', '.inf', '.inf'],
    ['.inf', '.inf', '.inf'],
  ];
  let fallbacksMade = 0;
  try {
    for (const run of runs) {
      for (const value of run) {
        writeFileSync(join(work, 'app.yaml'), APP + rule(value));
        assert.ok(await eager.reload());
        assert.ok(await lazy.reload());
        fallbacksMade += lazy.publish().fallbacksMade ?? 0;
        for (const node of NODES) {
          assert.ok((lazy.cache.info(node)?.fallbacks ?? 0) <= MAX_DEFERRED_FALLBACKS, `${node}: bounded chain after ${value}`);
        }
      }
      for (const node of NODES) assert.is(served(lazy, node), served(eager, node), `${node} after ${run.join(', ')}`);
    }
    assert.ok(fallbacksMade > 0, 'runs of three or more deferrals made the older snapshot before pushing it out');

    // The same over a stream: the two untranslatable reloads leave the last good one (70) to serve.
    for (const value of ['70', '.inf', '.inf']) {
      writeFileSync(join(work, 'app.yaml'), APP + rule(value));
      assert.ok(await eager.reload());
      assert.ok(await lazy.reload());
    }
    const expected = eager.cache.getSnapshot('shop/web')!;
    const stream = openAds(lazy.port);
    try {
      stream.send({ node: { id: 'shop/web' }, typeUrl: TYPE_URL.cluster });
      const cds = await stream.next();
      assert.is(cds.versionInfo, expected.types.cluster.version, 'the cluster version eager serves');
      assert.equal(cds.resources.map((r) => Buffer.from(r.value)), [...expected.types.cluster.resources.values()].map((r) => Buffer.from(r.value)), 'byte for byte');
    } finally {
      stream.close();
    }
  } finally {
    await eager.close();
    await lazy.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN the check suite on (graphs it passed are taken to be makeable) WHEN many reloads defer a node that never connects THEN no older snapshot is made to fall back on, and the node still gets the eager build\'s config', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-oracle-'));
  writeFileSync(join(work, 'app.yaml'), APP + MESH_WIDE + rule('50'));
  const certificates = new WorkloadCertificates(await createCa({ trustDomain: 'cluster.local' }));
  const common = { paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, certificates, log: () => {} };
  const eager = await startServe({ ...common, eager: true });
  const lazy = await startServe(common);
  try {
    for (const value of ['10', '20', '30', '40']) {
      writeFileSync(join(work, 'app.yaml'), APP + MESH_WIDE + rule(value));
      assert.ok(await eager.reload());
      assert.ok(await lazy.reload());
      assert.is(lazy.publish().fallbacksMade, 0, `reload ${value}: nothing made for a node without a stream`);
      assert.is(lazy.publish().made, 0);
    }
    assert.is(served(lazy, 'shop/web'), served(eager, 'shop/web'));
  } finally {
    await eager.close();
    await lazy.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
