import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { ROOT } from './_project.js';

/**
 * Runs action.yml the way the GitHub runner runs a composite action: each `run` step as
 * `bash --noprofile --norc -eo pipefail <script>` in the caller's workspace, `${{ inputs.* }}`
 * and `${{ github.action_path }}` substituted, the step's `env` set, GITHUB_ACTION_PATH,
 * GITHUB_WORKSPACE, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY provided. `uses:` steps (the SARIF
 * upload) cannot run here and are only recorded. The action path is this checkout (built by
 * `npm test`); `npx` and `npm` on PATH fail loudly, so nothing can be fetched by name.
 */
interface Step { name?: string; id?: string; run?: string; uses?: string; shell?: string; env?: Record<string, string>; if?: string }
const action = parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  runs: { using: string; steps: Step[] };
};

function expand(text: string, inputs: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expr: string) => {
    const input = /^inputs\.([\w-]+)$/.exec(expr);
    if (input) return inputs[input[1]!] ?? '';
    if (expr === 'github.action_path') return ROOT;
    throw new Error(`the test runner does not evaluate \${{ ${expr} }} in a run step or env`);
  });
}

/** `runnerTemp`: the run's RUNNER_TEMP (removed after the run); `files`: the SARIF and report files the outputs name, read before that. */
interface ActionRun { status: number; stdout: string; outputs: Record<string, string>; summary: string | undefined; skipped: string[]; runnerTemp: string; files: Record<string, string | undefined> }

/** `summaryFile` is created empty first (as the runner does) unless `createSummary` is false. */
function runAction(workspace: string, with_: Record<string, string> = {}, summaryFile = path.join(workspace, '..', 'summary.md'), createSummary = true): ActionRun {
  const inputs = Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, with_[k] ?? v.default ?? '']));
  const runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-runner-'));
  const fakeBin = path.join(runnerTemp, 'bin');
  fs.mkdirSync(fakeBin);
  for (const tool of ['npx', 'npm']) fs.writeFileSync(path.join(fakeBin, tool), `#!/bin/sh\necho "${tool} must not run: the action resolved something by name: $*" >&2\nexit 99\n`, { mode: 0o755 });
  const outputFile = path.join(runnerTemp, 'output');
  fs.writeFileSync(outputFile, '');
  if (createSummary) fs.writeFileSync(summaryFile, '');
  let stdout = '';
  const skipped: string[] = [];
  let status = 0;
  for (const step of action.runs.steps) {
    // After a failed step the runner only runs steps whose condition includes always().
    if (status !== 0 && !/always\(\)/.test(step.if ?? '')) continue;
    if (step.uses) {
      skipped.push(step.uses);
      continue;
    }
    assert.is(step.shell, 'bash', `step "${step.name}" should use bash`);
    const script = path.join(runnerTemp, 'step.sh');
    fs.writeFileSync(script, expand(step.run!, inputs));
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v), inputs)]));
    const run = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: workspace,
      encoding: 'utf8',
      env: {
        PATH: `${fakeBin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
        HOME: runnerTemp,
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: workspace,
        GITHUB_ACTION_PATH: ROOT,
        GITHUB_OUTPUT: outputFile,
        RUNNER_TEMP: runnerTemp,
        GITHUB_STEP_SUMMARY: summaryFile,
        ...stepEnv,
      },
    });
    stdout += run.stdout + run.stderr;
    status = status !== 0 ? status : (run.status ?? 1);
  }
  const outputs = Object.fromEntries(fs.readFileSync(outputFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split('=', 2) as [string, string]));
  const summary = fs.existsSync(summaryFile) ? fs.readFileSync(summaryFile, 'utf8') : undefined;
  const read = (p: string | undefined) => (p && fs.existsSync(path.resolve(workspace, p)) ? fs.readFileSync(path.resolve(workspace, p), 'utf8') : undefined);
  const files = { sarif: read(outputs['sarif-file']), report: read(outputs['report']) };
  fs.rmSync(runnerTemp, { recursive: true, force: true });
  return { status, stdout, outputs, summary, skipped, runnerTemp, files };
}

/** The counts `meshproof check --format json` reports, as the action's outputs should carry them. */
function countsByCli(workspace: string): Record<string, string> {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin/meshproof.js'), 'check', 'dist', '--format', 'json', '--fail-on', 'none'], { cwd: workspace, encoding: 'utf8' });
  const { summary } = JSON.parse(run.stdout) as { summary: { errors: number; warnings: number; infos: number } };
  return { errors: String(summary.errors), warnings: String(summary.warnings), notes: String(summary.infos) };
}

const BAD_ROUTE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop
  namespace: shop
spec:
  hosts: ["shop"]
  http:
    - route:
        - destination:
            host: "x<b>|y"
`;

/** A checkout of some other repository: its own package.json (no meshproof in it) and dist/. */
function otherRepository(manifest: string): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-caller-'));
  const workspace = path.join(parent, 'repo');
  fs.mkdirSync(path.join(workspace, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'package.json'), '{ "name": "payments-team", "private": true }\n');
  fs.writeFileSync(path.join(workspace, 'dist', 'app.k8s.yaml'), manifest);
  return workspace;
}

test('GIVEN sarif-file and report-file inputs relative to the repository WHEN the action runs THEN it writes them there and outputs the paths as given', () => {
  const workspace = otherRepository(BAD_ROUTE);
  try {
    const run = runAction(workspace, { 'sarif-file': 'reports/gate.sarif', 'report-file': 'reports/gate.md' });
    assert.is(run.status, 1, run.stdout);
    assert.is(run.outputs['sarif-file'], 'reports/gate.sarif');
    assert.is(run.outputs['report'], 'reports/gate.md');
    assert.ok(fs.existsSync(path.join(workspace, 'reports', 'gate.sarif')) && fs.existsSync(path.join(workspace, 'reports', 'gate.md')));
  } finally {
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  }
});

test('GIVEN action.yml WHEN read THEN it is a composite action that runs its own checkout, never npx or a package name', () => {
  assert.is(action.runs.using, 'composite');
  const scripts = action.runs.steps.map((s) => s.run ?? '').join('\n');
  assert.not.match(scripts, /\bnpx\b/);
  assert.match(scripts, /node "\$GITHUB_ACTION_PATH\/lib\/src\/gate\/action-main\.js"/);
  assert.match(scripts, /npm ci --ignore-scripts/, 'installs from the lockfile only');
});

test('GIVEN another repository with a bad route WHEN the action runs THEN it annotates, writes an escaped summary, outputs and SARIF, and fails', () => {
  const workspace = otherRepository(BAD_ROUTE);
  try {
    const run = runAction(workspace);
    assert.is(run.status, 1, run.stdout);
    assert.not.match(run.stdout, /must not run/);
    assert.match(run.stdout, /::error title=meshproof \[IST0101\][^,]*,file=dist\/app\.k8s\.yaml,line=11/);
    const outDir = path.join(run.runnerTemp, 'meshproof');
    assert.equal(run.outputs, { 'sarif-file': path.join(outDir, 'meshproof.sarif'), ...countsByCli(workspace), verified: 'skipped', report: path.join(outDir, 'meshproof-report.md') });
    // Two errors: the host is not found (IST0101), and not a host Istio's webhook accepts (IST0106).
    assert.is(run.outputs['errors'], '2');
    assert.is((JSON.parse(run.files['sarif']!) as { runs: { results: unknown[] }[] }).runs[0]!.results.length, 2, 'SARIF written under RUNNER_TEMP');
    assert.is(run.files['report'], run.summary, 'the report file holds the summary');
    assert.equal(fs.readdirSync(workspace).sort(), ['dist', 'package.json'], 'nothing written into the checkout');
    assert.ok(run.summary?.includes('"x&lt;b&gt;\\|y"'), `summary escapes < > |:\n${run.summary}`);
    assert.not.match(run.summary!, /<b>/);
    assert.equal(run.skipped, ['github/codeql-action/upload-sarif@v3']);
  } finally {
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  }
});

test('GIVEN fail-on none WHEN the action runs on findings THEN it passes and still reports them', () => {
  const workspace = otherRepository(BAD_ROUTE);
  try {
    const run = runAction(workspace, { 'fail-on': 'none' });
    assert.is(run.status, 0, run.stdout);
    assert.is(run.outputs['errors'], '2');
  } finally {
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  }
});

test('GIVEN GITHUB_STEP_SUMMARY names a missing file WHEN the action runs THEN it warns naming the file and the exit code still reflects the findings', () => {
  const workspace = otherRepository(BAD_ROUTE);
  const missing = path.join(workspace, 'no-such-dir', 'summary.md');
  try {
    const run = runAction(workspace, {}, missing, false);
    assert.is(run.status, 1, run.stdout);
    assert.match(run.stdout, new RegExp(`::warning title=meshproof%3A no job summary::cannot write the job summary to ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(GITHUB_STEP_SUMMARY\\): the file does not exist`));
    assert.not.match(run.stdout, /internal error/);
  } finally {
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  }
});

const CLEAN_SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: shop
  namespace: shop
spec:
  selector: { app: shop }
  ports:
    - name: http
      port: 80
      targetPort: 8080
`;

test('GIVEN a clean manifest WHEN the action runs THEN it passes with zero counts', () => {
  const workspace = otherRepository(CLEAN_SERVICE);
  try {
    const run = runAction(workspace);
    assert.is(run.status, 0, run.stdout);
    assert.equal(run.outputs, { 'sarif-file': path.join(run.runnerTemp, 'meshproof', 'meshproof.sarif'), errors: '0', warnings: '0', notes: '0', verified: 'skipped', report: path.join(run.runnerTemp, 'meshproof', 'meshproof-report.md') });
  } finally {
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  }
});

test('GIVEN a path that does not exist WHEN the action runs THEN it fails as a usage error naming the path', () => {
  const workspace = otherRepository(BAD_ROUTE);
  try {
    const run = runAction(workspace, { paths: 'manifests' });
    assert.is(run.status, 2, run.stdout);
    assert.match(run.stdout, /path not found: manifests/);
    // The reviewer and later steps still learn why: a summary and outputs are written.
    assert.match(run.summary ?? '', /# meshproof gate: could not run\n\npath not found: manifests/);
    assert.is(run.outputs['errors'], '0');
  } finally {
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  }
});

test.run();
