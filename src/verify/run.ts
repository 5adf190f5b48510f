/**
 * One `meshproof verify` run over a project: read `dist/` and `.meshproof/expectations.json` (and
 * any route-test files), refuse a dist/ that fails the checks, judge every expectation statically,
 * then, when a traffic runtime is given and ready, prove them with requests. Unusable input throws
 * `VerifyInputError` (exit 2); nothing here writes to stdout or exits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { checkPaths } from '../checks/api.js';
import type { MeshGraph } from '../mesh/graph.js';
import { EXPECTATIONS_PATH } from './expectations/path.js';
import { loadRouteTests, RouteTestError } from './expectations/route-tests.js';
import type { Expectation, ExpectationsFile } from './expectations/types.js';
import { summarize, type VerifyReport, type VerifyResult, type TrafficVerdict } from './report/types.js';
import { judgeStatically } from './static.js';
import { DEFAULT_CONFIDENCE, DEFAULT_TOLERANCE } from './stats.js';
import { fileLine } from '../mesh/lines.js';
import { closest } from '../did-you-mean.js';

/** Input `verify` cannot work with: exit 2 with this message. */
export class VerifyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyInputError';
  }
}

/**
 * The run was stopped by a signal (Ctrl-C, SIGTERM) while sending traffic: the proofs cut short
 * would read as broken promises, so there is no report.
 */
export class VerifyInterrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal} while sending traffic; everything it started was stopped, and no report was written`);
    this.name = 'VerifyInterrupted';
  }
}

/** Sends traffic for expectations; the runtime (src/verify/runtime/) implements it. */
export interface TrafficRunner {
  /** Null when ready, else why no traffic can be sent (shown in the report). */
  unavailable(): string | null;
  /**
   * Proves the expectations that held statically; must stop everything it started, also on failure.
   * Throws when the runtime cannot run (an address taken, a proxy that never becomes ready), and
   * {@link VerifyInterrupted} when a signal stopped it.
   */
  run(graph: MeshGraph, expectations: readonly Expectation[], progress: (done: number, total: number) => void,
    options: { readonly confidence: number; readonly tolerance: number }): Promise<{ verdicts: Map<string, TrafficVerdict>; startupMs: number }>;
}

export interface VerifyOptions {
  /** Project root (holds dist/ and .meshproof/). */
  readonly root: string;
  /** Only these apps (charts: the first segment of construct paths). @default every app */
  readonly apps?: readonly string[];
  /** Route-test files (istio-config-validator format). @default none */
  readonly routeTests?: readonly string[];
  /** Skip the check suite gate. @default false */
  readonly skipChecks?: boolean;
  readonly confidence?: number;
  readonly tolerance?: number;
  /** Traffic runtime; without one the report says traffic was not sent. */
  readonly runtime?: TrafficRunner;
  /** Called per judged expectation (static) and per proven one (traffic). */
  readonly progress?: (phase: 'static' | 'traffic', done: number, total: number) => void;
}

/** ` (did you mean "customers"?)` for `--app custmers` (`"x" (for y)` each when several are unknown), or nothing when no app is close. */
function appSuggestions(missing: readonly string[], known: readonly string[]): string {
  // `--app a,b` is one name with a comma: each app is its own --app.
  const listed = missing.find((m) => m.includes(',') && m.split(',').every((part) => known.includes(part.trim())));
  if (listed !== undefined) return ` (--app takes one name: give it once per app, ${listed.split(',').map((part) => `--app ${part.trim()}`).join(' ')})`;
  const near = missing.flatMap((m) => {
    // Letter case first: `--app Shop` is a slip of the shift key however far the edit distance.
    const best = known.find((k) => k.toLowerCase() === m.toLowerCase()) ?? closest(m, known);
    return best === undefined ? [] : [missing.length === 1 ? `"${best}"` : `"${best}" (for ${m})`];
  });
  return near.length > 0 ? ` (did you mean ${near.join(', ')}?)` : '';
}

function readExpectations(root: string): Expectation[] {
  const file = join(root, EXPECTATIONS_PATH);
  if (!existsSync(file)) return [];
  let parsed: ExpectationsFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as ExpectationsFile;
  } catch (e) {
    throw new VerifyInputError(`${EXPECTATIONS_PATH} is not valid JSON (${(e as Error).message}); run \`npx cdk8s synth\` to write it again`);
  }
  if (parsed?.version !== 1 || !Array.isArray(parsed.expectations)) {
    throw new VerifyInputError(`${EXPECTATIONS_PATH} is not an expectations file (want {"version":1,"expectations":[…]}); run \`npx cdk8s synth\``);
  }
  return [...parsed.expectations];
}

const appOf = (e: Expectation) => e.source.constructPath.split('/')[0] ?? '';

export async function verifyProject(options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const root = resolve(options.root);
  const dist = join(root, 'dist');
  if (!existsSync(root)) throw new VerifyInputError(`no such folder: ${options.root}`);
  if (!existsSync(dist)) throw new VerifyInputError(`${options.root} has no dist/: synthesize the app first (npx cdk8s synth)`);
  let expectations = readExpectations(root);
  const earlyNotes: string[] = [];
  if (expectations.length === 0 && (options.routeTests ?? []).length === 0) {
    throw new VerifyInputError(`${options.root} has no ${EXPECTATIONS_PATH} with promises and no route tests were given (--tests file.yaml): synthesize with a MeshApp (npx cdk8s synth)`);
  }
  if (options.apps && options.apps.length > 0) {
    const known = [...new Set(expectations.map(appOf))].sort();
    const missing = options.apps.filter((a) => !known.includes(a));
    if (missing.length > 0) throw new VerifyInputError(`no app named ${missing.map((m) => (m === '' ? '""' : m)).join(', ')} in ${EXPECTATIONS_PATH}${appSuggestions(missing, known)}; apps with promises: ${known.join(', ') || '(none)'}`);
    // Written before expect() promises were filed under their chart: say they are left out, never drop them silently.
    const orphans = expectations.filter((e) => e.source.constructPath === 'app/expect' && !options.apps!.includes('app')).length;
    if (orphans > 0) earlyNotes.push(`${orphans} expect() promise${orphans === 1 ? ' is' : 's are'} filed under no chart (app/expect) in ${EXPECTATIONS_PATH}, so --app left ${orphans === 1 ? 'it' : 'them'} out: run \`npx cdk8s synth\` again to file ${orphans === 1 ? 'it' : 'them'} under ${orphans === 1 ? 'its' : 'their'} chart`);
    expectations = expectations.filter((e) => options.apps!.includes(appOf(e)));
  }
  // The checks' run also gives the mesh model: dist/ with the config's context paths (e.g. the
  // platform repository's gateway Deployment), MeshConfig and cluster domain, as `check` judges it.
  const run = await checkPaths(['dist'], { cwd: root });
  if (!options.skipChecks) {
    if (run.exitCode('error') !== 0) {
      const errors = run.result.findings.filter((f) => f.severity === 'error').slice(0, 5);
      throw new VerifyInputError(`dist/ fails the checks (${run.result.summary.errors} error${run.result.summary.errors === 1 ? '' : 's'}), so its promises are not worth proving; fix them first (meshproof check dist):\n${errors.map((f) => `  ${f.location.file}:${f.location.line} ${f.ruleId}: ${f.message}`).join('\n')}`);
    }
  }
  // Paths relative to the root, so messages name dist/x.k8s.yaml:12 as the checks do.
  const unusable = run.problems.filter((p) => p.unusable);
  if (unusable.length > 0) throw new VerifyInputError(unusable.map((p) => `${fileLine(p.location)}: ${p.message}`).join('\n'));
  const graph = run.graph;
  const notes: string[] = [...earlyNotes];
  // Route-test promises are named after their file in the summary (`route tests (t1.yaml)`), not a chart.
  const testApps = new Map<string, string>();
  for (const t of options.routeTests ?? []) {
    const file = resolve(root, t);
    if (!existsSync(file)) throw new VerifyInputError(`route-test file not found: ${t}`);
    try {
      const loadedTests = loadRouteTests(file, graph, t);
      expectations.push(...loadedTests.expectations);
      for (const e of loadedTests.expectations) testApps.set(e.id, `route tests (${basename(t)})`);
      notes.push(...loadedTests.notes);
    } catch (e) {
      if (e instanceof RouteTestError) throw new VerifyInputError(e.message);
      throw e;
    }
  }
  const staticStart = performance.now();
  const results: VerifyResult[] = expectations.map((e, i) => {
    const v = judgeStatically(graph, e, expectations);
    options.progress?.('static', i + 1, expectations.length);
    return { expectation: e, static: v };
  });
  const staticMs = performance.now() - staticStart;
  const why = options.runtime ? options.runtime.unavailable() : 'no traffic runtime (--static-only)';
  let final = results;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  let trafficTimes: { startupMs: number; trafficMs: number } | undefined;
  if (why === null && options.runtime) {
    const worth = results.filter((r) => r.static.status !== 'broken').map((r) => r.expectation);
    const t = performance.now();
    let traffic: Awaited<ReturnType<TrafficRunner['run']>>;
    try {
      traffic = await options.runtime.run(graph, worth, (d, n) => options.progress?.('traffic', d, n), { confidence, tolerance });
    } catch (e) {
      if (e instanceof VerifyInterrupted) throw e;
      throw new VerifyInputError(`the traffic runtime could not run (everything it started was stopped): ${(e as Error).message}`);
    }
    trafficTimes = { startupMs: traffic.startupMs, trafficMs: performance.now() - t - traffic.startupMs };
    final = results.map((r) => (traffic.verdicts.has(r.expectation.id) ? { ...r, traffic: traffic.verdicts.get(r.expectation.id)! } : r));
  }
  return {
    version: 1, root: options.root,
    apps: [
      ...[...new Set(final.filter((r) => !testApps.has(r.expectation.id)).map((r) => appOf(r.expectation)))].sort(),
      ...new Set(testApps.values()),
    ],
    summary: summarize(final), confidence, tolerance,
    traffic: why === null ? { ran: true } : { ran: false, reason: why },
    results: final, notes, timings: { staticMs, ...trafficTimes, totalMs: performance.now() - started },
  };
}
