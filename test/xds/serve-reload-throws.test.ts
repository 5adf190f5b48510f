/**
 * A reload that throws while another change is queued (a save during the reload) does not leave that
 * change until the next file event: it is loaded after the debounce.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';

const ROOT = resolve(import.meta.dirname, '../..');

async function until(f: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('GIVEN a reload that throws while a second reload is queued WHEN it fails THEN the queued one still runs (after the debounce), with no file event', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-reload-throws-'));
  for (const f of readdirSync(join(ROOT, 'dist'))) if (f.startsWith('httpbin') && f.endsWith('.k8s.yaml')) copyFileSync(join(ROOT, 'dist', f), join(work, f));
  const logs: string[] = [];
  let throwOnce = false;
  const log = (l: string) => {
    logs.push(l);
    // The reload's last step logs its outcome: make that one throw, once.
    if (throwOnce && /still served|published/.test(l)) {
      throwOnce = false;
      throw new Error('disk full');
    }
  };
  const h = await startServe({ paths: [work], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, debounceMs: 20, log });
  try {
    throwOnce = true;
    const first = h.reload();
    const queued = h.reload();
    const failure = await first.then(() => null, (e: unknown) => e);
    assert.match(String(failure), /disk full/);
    await queued.catch(() => {});
    const before = logs.length;
    await until(() => logs.slice(before).some((l) => /still served|published/.test(l)), 3000, `the queued reload to run; log:\n${logs.join('\n')}`);
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
