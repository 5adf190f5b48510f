#!/usr/bin/env node
/**
 * Per-file times of the test suite, which uvu does not print. By default the files run as `npm test`
 * runs them: one process, each file imported in order (its top-level setup runs then), then every
 * suite run by uvu; a file's time is its import plus its suites' run, so the times add up to the suite.
 * With --isolate, each file runs in its own process (`node --import tsx node_modules/uvu/bin.js test
 * <pattern>` anchored to that file), which adds each process's start-up (~1-4 s: node, tsx, imports)
 * but shows a file alone.
 *
 * Each file's CPU seconds are measured too (this process and the child processes it waited for, from
 * /proc/self/stat on Linux; this process only elsewhere), and on Linux the seconds it was ready to run
 * but queued behind other processes (`queued`: the main thread's run delay from /proc/self/schedstat;
 * children's queueing is not known, so on a loaded machine a file that runs children looks more
 * waiting than it is). A file whose CPU is well under its wall time less `queued` waits (timers,
 * slow backends, signals) rather than computes; scripts/run-tests.mjs runs such files
 * in an extra worker (see its --waiting-jobs). A file's CPU in one process is a lower bound when its
 * tests leave work running after they end.
 *
 * Usage: node scripts/test-times.mjs [filter-regex] [--isolate] [--top N] [--json out.json]
 *   filter-regex  only files whose path under test/ matches it, case-insensitive (default: every `*.test.ts`)
 *   --top N       how many of the slowest files to print (default 40)
 *   --json FILE   also write every file's {file, seconds, cpu, queued, import, tests, ok} to FILE, slowest first
 * Exit code 1 when any file failed (marked FAIL; uvu's report above the table says what failed).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const args = [...argv];
const flag = (name) => { const i = args.indexOf(name); if (i >= 0) args.splice(i, 1); return i >= 0; };
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const isolate = flag('--isolate');
const top = Number(opt('--top', '40'));
const jsonOut = opt('--json', undefined);
const filter = new RegExp(args[0] ?? '\\.test\\.ts$', 'i');

// In one process the test files are TypeScript: run this script again under tsx, as npm test runs uvu.
if (!isolate && !process.execArgv.some((a) => a.includes('tsx'))) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...argv], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

/** Test files as uvu's `parse` finds them: every file under test/ (node_modules and .git skipped) matching the pattern. */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.git')) return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}
const testDir = join(root, 'test');
const names = files(testDir)
  .map((f) => relative(testDir, f))
  .filter((n) => /\.test\.ts$/i.test(n) && filter.test(n))
  .sort((a, b) => a.localeCompare(b));

const round = (s) => Math.round(s * 100) / 100;
/**
 * CPU seconds used so far by this process and the children it has waited for (utime, stime, cutime,
 * cstime of /proc/self/stat, in clock ticks of 1/100 s); this process's own elsewhere.
 */
function cpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
}
/** Seconds this process's main thread (where the tests' JavaScript runs) ran, and waited in the run queue, so far (schedstat); zeros where unknown. */
function schedSeconds() {
  try {
    const [run, queued] = readFileSync('/proc/self/schedstat', 'utf8').split(' ');
    return { run: Number(run) / 1e9, queued: Number(queued) / 1e9 };
  } catch {
    return { run: 0, queued: 0 };
  }
}
/** A clock of CPU seconds and run-queue seconds (see the module docstring); `stop()` gives both since `start`. */
function usage() {
  const cpu0 = cpuSeconds();
  const s0 = schedSeconds();
  return () => ({ cpu: cpuSeconds() - cpu0, queued: Math.max(0, schedSeconds().queued - s0.queued) });
}
const results = [];
const t0 = Date.now();
if (isolate) {
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const [i, name] of names.entries()) {
    const start = performance.now();
    const stop = usage();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', `^${escape(name)}$`], {
      cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    });
    const seconds = (performance.now() - start) / 1000;
    const { cpu, queued } = stop();
    const ok = r.status === 0;
    // uvu's own "Duration:" covers running the tests, not starting the process and importing the file.
    const m = /Duration:\s*([\d.]+)(ms|s)/.exec((r.stdout ?? '').replace(/\x1b\[[0-9;]*m/g, ''));
    const tests = m ? Number(m[1]) / (m[2] === 'ms' ? 1000 : 1) : undefined;
    results.push({ file: name, seconds: round(seconds), cpu: round(cpu), queued: round(queued), import: undefined, tests, ok });
    process.stderr.write(`[${i + 1}/${names.length}] ${seconds.toFixed(1).padStart(6)} s ${cpu.toFixed(1).padStart(6)} s CPU ${ok ? 'ok  ' : 'FAIL'} ${name}\n`);
    if (!ok) process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}\n`);
  }
} else {
  // What uvu/run does, with a clock around each file's import and each of its suites' run.
  globalThis.UVU_DEFER = 1;
  const uvu = await import(pathToFileURL(join(root, 'node_modules/uvu/dist/index.mjs')).href);
  const timing = names.map((file) => ({ file, import: 0, tests: 0, cpu: 0, queued: 0, ok: true }));
  for (const [i, name] of names.entries()) {
    globalThis.UVU_INDEX = i;
    globalThis.UVU_QUEUE.push([name]);
    const start = performance.now();
    const stop = usage();
    await import(pathToFileURL(join(testDir, name)).href);
    timing[i].import = (performance.now() - start) / 1000;
    const used = stop();
    timing[i].cpu += used.cpu;
    timing[i].queued += used.queued;
  }
  for (const [i, group] of globalThis.UVU_QUEUE.entries()) {
    for (let j = 1; j < group.length; j++) {
      const run = group[j];
      group[j] = async () => {
        const start = performance.now();
        const stop = usage();
        const r = await run();
        timing[i].tests += (performance.now() - start) / 1000;
        const used = stop();
        timing[i].cpu += used.cpu;
        timing[i].queued += used.queued;
        if (r[0] !== true) timing[i].ok = false;
        return r;
      };
    }
  }
  await uvu.exec();
  for (const t of timing) results.push({ file: t.file, seconds: round(t.import + t.tests), cpu: round(t.cpu), queued: round(t.queued), import: round(t.import), tests: round(t.tests), ok: t.ok });
}
results.sort((a, b) => b.seconds - a.seconds);
const total = results.reduce((s, r) => s + r.seconds, 0);
const col = (v) => (v === undefined ? '?' : v.toFixed(1)).padStart(7);
const cpuTotal = results.reduce((s, r) => s + r.cpu, 0);
console.log(`\nslowest ${Math.min(top, results.length)} of ${results.length} test files, seconds (${isolate ? 'own process each: wall, CPU, queued, -, uvu Duration' : 'one process: import + tests, CPU, queued, import, tests'}):`);
for (const r of results.slice(0, top)) console.log(`${col(r.seconds)}${col(r.cpu)}${col(r.queued)}${col(r.import)}${col(r.tests)}  ${r.ok ? '' : 'FAIL '}${r.file}`);
console.log(`total ${total.toFixed(0)} s summed over files (${cpuTotal.toFixed(0)} s CPU), ${((Date.now() - t0) / 1000).toFixed(0)} s wall`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
process.exitCode = results.some((r) => !r.ok) ? 1 : 0;
