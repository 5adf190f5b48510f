/**
 * `xds serve` reads a change only once the watched files have stopped changing: a writer that pauses
 * mid-file, at a YAML document boundary, for longer than the debounce does not get its first part
 * loaded, checked and published as if it were the whole file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServe } from '../../src/cli/xds-command.js';
import { awaitSettled, fingerprintFiles } from '../../src/cli/settle.js';

const ROOT = resolve(import.meta.dirname, '../..');
const APP = readFileSync(join(ROOT, 'dist/httpbin.k8s.yaml'), 'utf8');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(f: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(20);
  }
}

test('GIVEN xds serve (debounce 50 ms, settle 700 ms) WHEN a writer writes the first documents of a file, pauses 400 ms at a document boundary, then writes the rest THEN only the whole file is loaded: one reload, published', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-settle-'));
  mkdirSync(join(work, 'in'));
  const input = join(work, 'in', 'app.yaml');
  writeFileSync(input, APP);
  copyFileSync(join(ROOT, 'test/golden/xds/workloads.json'), join(work, 'workloads.json'));
  const logs: string[] = [];
  const reloads = () => logs.filter((l) => /(re)?loaded in|keeping the last good config|nothing is served/.test(l));
  const h = await startServe({ paths: [join(work, 'in')], workloads: join(work, 'workloads.json'), listen: '127.0.0.1:0', cwd: work, watch: true, debounceMs: 50, settleMs: 700, check: false, log: (l) => logs.push(l) }).catch((e) => { throw new Error(`${e.message}\n${logs.join('\n')}`); });
  try {
    assert.is(reloads().length, 1, logs.join('\n'));
    await pause(800);
    // The edit: a new connect timeout, written in two parts; the first part (every document before
    // the ServiceEntry) is a usable input on its own (the check suite is off: nothing else stops it).
    const next = APP.replace(/connectTimeout: \S+/, 'connectTimeout: 7s');
    const cut = next.indexOf('---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry');
    assert.ok(cut > 0, 'the fixture has a ServiceEntry document to cut before');
    const fd = openSync(input, 'w');
    writeSync(fd, next.slice(0, cut));
    await pause(400);
    writeSync(fd, next.slice(cut));
    closeSync(fd);
    await until(() => reloads().length >= 2, 30_000, `the change to be reloaded; log:\n${logs.join('\n')}`);
    await pause(1000);
    const after = reloads().slice(1);
    assert.is(after.length, 1, `one reload, of the whole file; log:\n${logs.join('\n')}`);
    assert.match(after[0]!, /snapshot\(s\) published/);
    assert.not.match(after[0]!, /removed/, 'nothing of the file was missing when it was read');
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN files last written long ago WHEN awaitSettled runs THEN it does not wait; GIVEN a file written just now THEN it waits about the settle interval', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-settle-'));
  try {
    writeFileSync(join(work, 'a.yaml'), 'a: 1\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(work, 'a.yaml'), old, old);
    const quick = await awaitSettled(() => [work], { settleMs: 500, maxWaitMs: 5000 });
    assert.ok(quick.settled && quick.waitedMs < 100, JSON.stringify(quick));
    writeFileSync(join(work, 'a.yaml'), 'a: 2\n');
    const waited = await awaitSettled(() => [work], { settleMs: 300, maxWaitMs: 5000, pollMs: 20 });
    assert.ok(waited.settled && waited.waitedMs >= 250 && waited.waitedMs < 1000, JSON.stringify(waited));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a file that keeps changing WHEN awaitSettled runs THEN it gives up after maxWaitMs, unsettled; mtimes ahead of the clock settle by observation', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-settle-'));
  let n = 0;
  writeFileSync(join(work, 'a.yaml'), 'a: start\n');
  const writer = setInterval(() => writeFileSync(join(work, 'a.yaml'), `a: ${n++}\n`), 30);
  try {
    const busy = await awaitSettled(() => [work], { settleMs: 200, maxWaitMs: 600, pollMs: 20 });
    assert.is(busy.settled, false);
    assert.ok(busy.waitedMs >= 600 && busy.waitedMs < 1500, JSON.stringify(busy));
    clearInterval(writer);
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(join(work, 'a.yaml'), future, future);
    const skewed = await awaitSettled(() => [work], { settleMs: 200, maxWaitMs: 5000, pollMs: 20 });
    assert.ok(skewed.settled && skewed.waitedMs < 1000, JSON.stringify(skewed));
  } finally {
    clearInterval(writer);
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a folder WHEN fingerprinted THEN dot files and node_modules are skipped, and a missing path counts as absent', () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-settle-'));
  try {
    writeFileSync(join(work, 'a.yaml'), 'a: 1\n');
    const before = fingerprintFiles([work, join(work, 'missing.yaml')]);
    writeFileSync(join(work, '.a.yaml.swp'), 'x');
    mkdirSync(join(work, 'node_modules'));
    writeFileSync(join(work, 'node_modules', 'x.yaml'), 'x');
    assert.is(fingerprintFiles([work, join(work, 'missing.yaml')]).key, before.key);
    assert.is(before.files, 2);
    writeFileSync(join(work, 'a.yaml'), 'a: 22\n');
    assert.is.not(fingerprintFiles([work]).key, before.key.split('\n')[0]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
