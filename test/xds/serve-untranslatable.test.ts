/**
 * `xds serve --no-check` with a value no Envoy config can carry (`.inf` where Envoy wants a uint32,
 * which the API server and the check suite refuse): the proxy keeps its last good config and the
 * log says which node, what failed and how to fix it; the server keeps running and serves others.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';
import { APP, rule } from './_one-service-app.js';

const BAD_RULE = rule('.inf');

test('GIVEN xds serve --no-check WHEN a reload brings maxEjectionPercent: .inf THEN the node keeps its last good snapshot and the log names the node, the value and the fix', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-untranslatable-'));
  const logs: string[] = [];
  writeFileSync(join(work, 'app.yaml'), APP);
  const h = await startServe({ paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
  try {
    const before = h.cache.getSnapshot('shop/web');
    assert.ok(before, `a first snapshot for shop/web; log:\n${logs.join('\n')}`);
    writeFileSync(join(work, 'app.yaml'), APP + BAD_RULE);
    await h.reload();
    assert.is(h.cache.versionOf('shop/web'), 'deferred', 'nothing is connected: its new snapshot waits for it');
    assert.not.ok(logs.some((l) => l.includes('cannot translate its config')), 'not made yet, so not failed yet');
    // What a connecting stream does: the deferred snapshot is made now, fails, and the node keeps its last good one.
    assert.is(h.cache.getSnapshot('shop/web'), before, 'the last good snapshot keeps serving');
    const line = logs.find((l) => l.includes('cannot translate its config'));
    assert.ok(line, logs.join('\n'));
    assert.match(line!, /^xds serve: shop\/web: cannot translate its config \(.*Infinity.*\); .*run `meshproof check`.*; keeping its last good config \(version [0-9a-f]+\)$/);
    assert.match(h.cache.info('shop/web')?.failure?.message ?? '', /^cannot translate its config \(.*Infinity/, 'the failure is recorded for /status');
    writeFileSync(join(work, 'app.yaml'), APP);
    await h.reload();
    assert.is(h.cache.getSnapshot('shop/web')?.version, before!.version, 'the good input again publishes the same config');
    assert.is(h.cache.info('shop/web')?.failure, undefined, 'and clears the failure');
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
