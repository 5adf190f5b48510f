/**
 * `/status` of `xds serve` with deferred snapshots: `GET /status?node=<id>` reads without making
 * anything (a pending snapshot is reported as such), `&make=1` makes it as a connecting stream would,
 * and `publish.served` / `servedDeferred` are what is served now, not at the last reload.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';
import { APP, rule } from './_one-service-app.js';

interface NodeReport {
  nodeId: string;
  version: string | null;
  pending?: { since: string; note: string };
  types?: Record<string, { version: string; resources: string[] }>;
}
interface Publish { served: number; servedDeferred: number }

test('GIVEN deferred nodes WHEN /status?node=<id> is read THEN nothing is made (pending, and how to make it); with make=1 the snapshot is made and publish.servedDeferred counts one node fewer at once', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-status-'));
  writeFileSync(join(work, 'app.yaml'), APP + rule('50'));
  const h = await startServe({ paths: ['app.yaml'], listen: '127.0.0.1:0', status: '127.0.0.1:0', cwd: work, watch: false, check: false, log: () => {} });
  const get = async (query: string) => {
    const res = await fetch(`http://127.0.0.1:${h.statusPort}/status${query}`);
    return { code: res.status, body: await res.json() as unknown };
  };
  try {
    const before = (await get('')).body as { publish: Publish };
    assert.equal([before.publish.served, before.publish.servedDeferred], [2, 2], 'shop/web and grpc:shop/web wait for their node');

    const read = await get('?node=shop/web');
    assert.is(read.code, 200);
    const pending = read.body as NodeReport;
    assert.is(pending.version, null, 'nothing made yet');
    assert.is(pending.types, undefined);
    assert.type(pending.pending?.since, 'string');
    assert.match(pending.pending!.note, /made when the node connects, or now with GET \/status\?node=shop%2Fweb&make=1/);
    assert.is(h.cache.versionOf('shop/web'), 'deferred', 'reading made nothing');

    const made = (await get('?node=shop/web&make=1')).body as NodeReport;
    assert.match(made.version ?? '', /^[0-9a-f]{16}$/);
    assert.is(made.pending, undefined);
    assert.ok(made.types?.cluster?.resources.includes('outbound|80||web.shop.svc.cluster.local'), JSON.stringify(made.types?.cluster));
    assert.is(h.cache.versionOf('shop/web'), made.version);
    const after = (await get('')).body as { publish: Publish };
    assert.equal([after.publish.served, after.publish.servedDeferred], [2, 1], 'live: one node made since the reload');
    assert.is(h.publish().servedDeferred, 1);

    // A reload defers it again: reading shows the made version (what it was sent while connected) and the pending one.
    writeFileSync(join(work, 'app.yaml'), APP + rule('30'));
    assert.ok(await h.reload());
    const again = (await get('?node=shop/web')).body as NodeReport;
    assert.is(again.version, made.version);
    assert.ok(again.types?.cluster, 'the made snapshot\'s types');
    assert.match(again.pending?.note ?? '', /version and types are of the last snapshot made for it \(what it was sent if it was connected then, else the config it falls back on/);
    assert.is(h.cache.versionOf('shop/web'), 'deferred');

    const bad = await get('?node=shop/web&make=yes');
    assert.is(bad.code, 400);
    assert.match((bad.body as { error: string }).error, /make=yes: use make=1/);
    assert.is(h.cache.versionOf('shop/web'), 'deferred', 'a bad request makes nothing');
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
