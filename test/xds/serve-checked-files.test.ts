/**
 * With the check suite on, `xds serve` serves the very files the check read: one read per reload
 * (a save between two reads can no longer publish unchecked bytes), and what meshproof.config.yaml
 * `exclude`s from the check is not served either (before, an excluded file was served unchecked).
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';

const ROOT = resolve(import.meta.dirname, '../..');

test('GIVEN meshproof.config.yaml excluding a file WHEN xds serve checks and serves the directory THEN the excluded file\'s workload is not served, the others are', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-checked-'));
  for (const f of readdirSync(join(ROOT, 'dist'))) if (f.endsWith('.k8s.yaml')) copyFileSync(join(ROOT, 'dist', f), join(work, f));
  writeFileSync(join(work, 'scratch.yaml'), [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata: { name: rogue, namespace: httpbin }',
    'spec: { template: { metadata: { labels: { app: rogue } }, spec: { containers: [{ name: app }] } } }', '',
  ].join('\n'));
  writeFileSync(join(work, 'meshproof.config.yaml'), 'exclude: ["scratch.yaml"]\n');
  const h = await startServe({ paths: ['.'], listen: '127.0.0.1:0', cwd: work, watch: false, log: () => {} });
  try {
    assert.ok(h.cache.nodeIds().some((id) => id.startsWith('httpbin/')), h.cache.nodeIds().join(' '));
    assert.is(h.cache.getSnapshot('httpbin/rogue'), undefined, 'the excluded file is neither checked nor served');
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
