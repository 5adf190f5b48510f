/**
 * Reloads never overlap: a call made while one runs gets the result of one follow-up run (shared by
 * every call made during the same run), which reads what changed meanwhile; and a reload that throws
 * while another change is queued (a save during the reload) does not leave that change until the
 * next file event.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';

const ROOT = resolve(import.meta.dirname, '../..');

test('GIVEN a reload that throws while a second reload is queued WHEN it fails THEN the queued one still runs, with no file event, and its caller gets its result', async () => {
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
    const outcomes = () => logs.filter((l) => /still served|published/.test(l)).length;
    const start = outcomes();
    throwOnce = true;
    const first = h.reload();
    const queued = h.reload();
    const failure = await first.then(() => null, (e: unknown) => e);
    assert.match(String(failure), /disk full/);
    assert.is(await queued, true, 'the queued call gets the follow-up run\'s result');
    assert.is(outcomes() - start, 2, `the failed run and the follow-up each logged their outcome; log:\n${logs.join('\n')}`);
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a running reload WHEN two more calls arrive during it and the input is made unusable meanwhile THEN both get the result of one follow-up run that read the new input (false), not the running one\'s (true)', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-reload-serial-'));
  const files = readdirSync(join(ROOT, 'dist')).filter((f) => f.startsWith('httpbin') && f.endsWith('.k8s.yaml'));
  for (const f of files) copyFileSync(join(ROOT, 'dist', f), join(work, f));
  const logs: string[] = [];
  let breakInput: (() => void) | undefined;
  const log = (l: string) => {
    logs.push(l);
    // When the running reload logs its outcome it has read its input: break the input now, so
    // only a run that starts after it can see the change.
    if (breakInput && /still served|published/.test(l)) {
      breakInput();
      breakInput = undefined;
    }
  };
  const h = await startServe({ paths: [work], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log });
  try {
    const before = logs.length;
    breakInput = () => writeFileSync(join(work, files[0]!), 'kind: Service\napiVersion: v1\nmetadata: {name: [unclosed\n');
    const running = h.reload();
    const second = h.reload();
    const third = h.reload();
    assert.is(second, third, 'calls made during one run share its follow-up');
    assert.is(await running, true, 'the running reload read the good input');
    assert.is(await second, false, `the follow-up read the broken input and refused it; log:\n${logs.slice(before).join('\n')}`);
    assert.is(await third, false);
    assert.ok(logs.slice(before).some((l) => /keeping the last good config/.test(l)), 'the follow-up ran and kept the last good config');
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
