/**
 * bench/startup: cold start-up of the `meshproof` executable as a user runs it (a fresh
 * `node bin/meshproof.js …` process each time, compiled lib/), against a bare `node -e 0` in the
 * same run. Commands run in turn (baseline, A, B, …, baseline, A, B, …) so that drift in the
 * machine's speed touches every row alike. The CLI runs from its bundle with a V8 code cache
 * (bin/load-cli.mjs) that the uncounted first round writes; two more rows show a run without the
 * cache (what the very first run after an install costs) and one from the ES modules.
 *
 *   npm run build && npm run bench:startup        # 15 runs of each command
 *   npm run bench:startup -- 30                   # another number of runs
 *
 * Targets (issue 6): `check` of a one-object file at most 400 ms; `--version` at most 150 ms.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fmt } from '../lib/measure.js';

const RUNS = Number(process.argv[2] ?? 15);
if (!Number.isInteger(RUNS) || RUNS < 3) throw new Error(`runs must be an integer of at least 3 (got ${process.argv[2]})`);

const root = path.resolve(import.meta.dirname, '..', '..');
const bin = path.join(root, 'bin', 'meshproof.js');
if (!fs.existsSync(path.join(root, 'lib', 'src', 'cli', 'main.js'))) throw new Error('lib/ is missing: run `npm run build` first');

/** One Istio object that checks clean: nothing references anything. */
const ONE_OBJECT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`;

interface Case {
  readonly name: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Exit statuses that mean the command did its work (a crash or usage error must not be timed). */
  readonly ok: readonly number[];
  /** Text the output must contain, so a run that silently did nothing is not timed either. */
  readonly expect: string;
  /** At most this many ms (median), when the issue sets a target. */
  readonly target?: number;
  /** Extra environment, e.g. to turn the bundle or its compile cache off. */
  readonly env?: Readonly<Record<string, string>>;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-bench-startup-'));
try {
  fs.writeFileSync(path.join(work, 'one-object.yaml'), ONE_OBJECT);
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const cases: Case[] = [
    { name: 'node -e 0 (baseline)', argv: ['-e', '0'], cwd: work, ok: [0], expect: '' },
    { name: 'meshproof --version', argv: [bin, '--version'], cwd: work, ok: [0], expect: version, target: 150 },
    { name: 'meshproof check one-object.yaml', argv: [bin, 'check', 'one-object.yaml'], cwd: work, ok: [0], expect: '1 object', target: 400 },
    {
      name: '… without the compile cache (a first run)', argv: [bin, 'check', 'one-object.yaml'], cwd: work, ok: [0], expect: '1 object',
      env: { MESHPROOF_NO_COMPILE_CACHE: '1' },
    },
    {
      name: '… from the ES modules, no bundle', argv: [bin, 'check', 'one-object.yaml'], cwd: work, ok: [0], expect: '1 object',
      env: { MESHPROOF_BUNDLE: 'off' },
    },
    { name: 'meshproof check dist/ (this repo)', argv: [bin, 'check', 'dist/'], cwd: root, ok: [0, 1], expect: 'objects' },
    { name: 'meshproof rules', argv: [bin, 'rules'], cwd: work, ok: [0], expect: 'schema/crd-validation' },
  ];
  const times = cases.map(() => [] as number[]);
  for (let run = -1; run < RUNS; run++) { // run -1 warms the file cache and is not counted
    cases.forEach((c, i) => {
      const ms = timeOnce(c);
      if (run >= 0) times[i]!.push(ms);
    });
  }
  const baseline = median(times[0]!);
  console.log(`${RUNS} cold runs each, ${os.cpus().length} CPUs, Node ${process.version}\n`);
  console.log('| command | median (ms) | p90 (ms) | median vs `node -e 0` | target |');
  console.log('|---|---:|---:|---:|---|');
  cases.forEach((c, i) => {
    const m = median(times[i]!);
    const target = c.target === undefined ? '' : `<= ${c.target} ms: ${m <= c.target ? 'met' : 'NOT met'}`;
    console.log(`| ${c.name} | ${fmt(m)} | ${fmt(percentile(times[i]!, 0.9))} | ${(m / baseline).toFixed(2)}x | ${target} |`);
  });
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

function timeOnce(c: Case): number {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, c.argv, { cwd: c.cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', MESHPROOF_BUNDLE: 'on', ...c.env } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const out = `${child.stdout}${child.stderr}`;
  if (child.status === null || !c.ok.includes(child.status) || !out.includes(c.expect)) {
    throw new Error(`${c.name}: exit ${String(child.status ?? child.signal)}, expected ${c.ok.join(' or ')} and output containing ${JSON.stringify(c.expect)}:\n${out}`);
  }
  return ms;
}

function median(xs: readonly number[]): number {
  return percentile(xs, 0.5);
}

/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
