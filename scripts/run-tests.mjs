#!/usr/bin/env node
/**
 * The test suite in N worker processes (default 2, or MESHPROOF_TEST_JOBS; --jobs 1 is one worker).
 * Each worker is `node --import tsx` running uvu, as `uvu test "\.test\.ts$"` would in one process:
 * it takes one test file at a time, imports it (its top-level setup runs) and runs its suites, and
 * sends back the file's uvu output, which is printed whole when the file ends, so files never interleave.
 * Files start slowest first (scripts/test-times.json, written by scripts/test-times.mjs --json;
 * files it does not list start after, by name), so one long file does not finish alone at the end.
 *
 * Waiting files: a file that test-times.json says used under half its wall time in CPU (`cpu` /
 * (`seconds` - `queued`) < 0.5, `queued` being the time it waited for a core on a loaded machine: its
 * tests wait on real timeouts, slow backends, signals) mostly leaves its worker's core idle. `--waiting-jobs M` (default 0, or MESHPROOF_TEST_WAITING_JOBS: off until
 * test-times.json is measured on a quiet machine, see README) more workers run only such files, slowest first, beside the N that run the rest, so the cores
 * compute while those files wait; the N workers take waiting files too once their own queue is empty.
 * Files test-times.json gives no `cpu` for are never waiting files.
 *
 * Usage: node scripts/run-tests.mjs [filter-regex] [--jobs N] [--waiting-jobs M] [--bail]
 *   filter-regex  only files whose path under test/ matches it, case-insensitive (default: `\.test\.ts$`)
 * Prints uvu's totals over all files, then each failed file by name. Exit code 1 when any test failed,
 * a file threw while loading, or a worker died (its file is named, with what it printed) or did not
 * exit within 60 s after its last file (a test left a server, timer or child running).
 */
import { fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'test');
/** A file using less than this share of its wall time (less its time queued for a core) in CPU (scripts/test-times.json) is a waiting file. */
const WAITING_CPU_SHARE = 0.5;

if (process.argv[2] === '--worker') await worker();
else await parent();

/** One worker: runs the files the parent sends, one at a time, and reports each with its output. */
async function worker() {
  globalThis.UVU_DEFER = 1; // uvu's CLI mode: test.run() queues, exec() runs
  const uvu = await import(pathToFileURL(join(root, 'node_modules/uvu/dist/index.mjs')).href);
  const send = (m) => new Promise((r) => process.send(m, r));
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let current;
  const capture = (chunk, encoding, cb) => {
    if (current !== undefined) process.send({ type: 'chunk', file: current, chunk: String(chunk) });
    else out(chunk, encoding);
    if (typeof encoding === 'function') encoding(); else if (typeof cb === 'function') cb();
    return true;
  };
  process.on('message', async (m) => {
    if (m.type === 'done') { process.disconnect(); return; }
    const { file } = m;
    current = file;
    process.stdout.write = capture;
    process.stderr.write = capture;
    globalThis.UVU_QUEUE.length = 0;
    globalThis.UVU_INDEX = 0;
    globalThis.UVU_QUEUE.push([file]);
    process.exitCode = 0;
    let loadError;
    try {
      await import(pathToFileURL(join(testDir, file)).href);
    } catch (e) {
      loadError = e instanceof Error ? e.stack ?? e.message : String(e);
    }
    if (loadError === undefined) await uvu.exec();
    process.stdout.write = out;
    process.stderr.write = err;
    current = undefined;
    await send({ type: 'result', file, code: loadError === undefined ? process.exitCode ?? 0 : 1, loadError });
    process.exitCode = 0;
  });
  await send({ type: 'ready' });
}

/** Test files as uvu's `parse` finds them: every file under test/ (node_modules and .git skipped) matching the pattern. */
function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.git')) return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}

async function parent() {
  const args = process.argv.slice(2);
  const opt = (name) => { const i = args.indexOf(name); if (i < 0) return undefined; const v = args[i + 1]; args.splice(i, 2); return v; };
  const bailAt = args.indexOf('--bail');
  const bail = bailAt >= 0;
  if (bail) args.splice(bailAt, 1);
  const jobs = Math.max(1, Number(opt('--jobs') ?? process.env.MESHPROOF_TEST_JOBS ?? Math.min(2, availableParallelism())));
  const waitingJobsArg = opt('--waiting-jobs');
  const pattern = new RegExp(args[0] ?? '\\.test\\.ts$', 'i');
  const files = listFiles(testDir).map((f) => relative(testDir, f)).filter((n) => pattern.test(n)).sort((a, b) => a.localeCompare(b));
  const timesFile = join(root, 'scripts', 'test-times.json');
  const times = existsSync(timesFile) ? JSON.parse(readFileSync(timesFile, 'utf8')) : [];
  const known = new Map(times.map((t) => [t.file, t.seconds]));
  const waitingFile = new Set(times.filter((t) => {
    const wall = t.seconds - (t.queued ?? 0);
    return typeof t.cpu === 'number' && wall > 0 && t.cpu / wall < WAITING_CPU_SHARE;
  }).map((t) => t.file));
  const waitingJobs = jobs > 1 ? Math.max(0, Number(waitingJobsArg ?? process.env.MESHPROOF_TEST_WAITING_JOBS ?? 0)) : 0;
  const ordered = [...files].sort((a, b) => (known.get(b) ?? -1) - (known.get(a) ?? -1) || a.localeCompare(b));
  const waitingQueue = waitingJobs > 0 ? ordered.filter((f) => waitingFile.has(f)) : [];
  const queue = ordered.filter((f) => !waitingQueue.includes(f));
  const waitingCount = waitingQueue.length;
  const started = performance.now();
  const totals = { total: 0, passed: 0, skipped: 0 };
  const failed = [];
  const outputs = new Map();
  let stopping = false;

  const print = (file, text) => process.stdout.write(`${text.replace(/\n\s*Total:[\s\S]*$/, '').replace(/\s+$/, '')}\n\n`);
  const count = (text) => {
    const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
    for (const [key, label] of [['total', 'Total'], ['passed', 'Passed'], ['skipped', 'Skipped']]) {
      const m = new RegExp(`${label}:\\s+(\\d+)`).exec(plain);
      if (m) totals[key] += Number(m[1]);
    }
  };

  /** A worker's next file: a waiting worker takes only waiting files; the others take theirs, then waiting ones. */
  const take = (waiting) => (waiting ? waitingQueue.shift() : queue.shift() ?? waitingQueue.shift());

  const runWorker = (waiting = false) => new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), ['--worker'], {
      cwd: root,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, FORCE_COLOR: '1' }, // as uvu's CLI sets it (its --color default), for the tests' children too
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let file;
    let exitTimer;
    const next = () => {
      file = stopping ? undefined : take(waiting);
      if (file === undefined) {
        child.send({ type: 'done' });
        exitTimer = setTimeout(() => {
          failed.push(`(a worker did not exit within 60 s after its last file: a test left a server, timer or child process running)`);
          child.kill('SIGKILL');
        }, 60_000);
        return;
      }
      outputs.set(file, '');
      child.send({ type: 'file', file });
    };
    child.on('message', (m) => {
      if (m.type === 'ready') next();
      else if (m.type === 'chunk') outputs.set(m.file, outputs.get(m.file) + m.chunk);
      else if (m.type === 'result') {
        const text = outputs.get(m.file) ?? '';
        outputs.delete(m.file);
        count(text);
        print(m.file, m.loadError ? `${m.file}\n${text}\n  FAIL while loading the file:\n${m.loadError}` : text);
        if (m.code !== 0) { failed.push(m.file); if (bail) stopping = true; }
        next();
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(exitTimer);
      if (file !== undefined) {
        // The worker died in a file (an uncaught exception, process.exit, a signal): report it and go on in a new worker.
        const text = outputs.get(file) ?? '';
        print(file, `${text.includes(file) ? '' : `${file}\n`}${text}\n  FAIL: the worker running this file exited (code ${code}, signal ${signal})`);
        outputs.delete(file);
        failed.push(file);
        if (bail) stopping = true;
        resolve(runWorker(waiting));
        return;
      }
      resolve();
    });
  });

  await Promise.all([
    ...Array.from({ length: Math.min(jobs, files.length) }, () => runWorker(false)),
    ...Array.from({ length: Math.min(waitingJobs, waitingQueue.length) }, () => runWorker(true)),
  ]);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const waitingNote = waitingCount > 0 ? ` (+${Math.min(waitingJobs, waitingCount)} for ${waitingCount} waiting file${waitingCount === 1 ? '' : 's'})` : '';
  process.stdout.write(`  Total:     ${totals.total}\n  Passed:    ${totals.passed}\n  Skipped:   ${totals.skipped}\n  Files:     ${files.length} in ${jobs} worker${jobs === 1 ? '' : 's'}${waitingNote}\n  Duration:  ${seconds}s\n\n`);
  if (failed.length) process.stdout.write(`  Failed (${failed.length}):\n${failed.map((f) => `    ${f}`).join('\n')}\n\n`);
  if (files.length === 0) process.stdout.write(`  no test file under test/ matches ${pattern}\n`);
  process.exitCode = failed.length || files.length === 0 ? 1 : 0;
}
