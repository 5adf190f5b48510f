/**
 * The gate as the runner drives it: INPUT_* variables, a pull_request event payload, GITHUB_OUTPUT
 * and GITHUB_STEP_SUMMARY files, workflow commands parsed from stdout; over a real git repository
 * holding this project's dist/ and source map at the base commit and a change at the head.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv } from 'ajv';
import { runAction } from '../../src/gate/action.js';
import { gateSummary } from '../../src/gate/summary.js';
import { ROOT } from '../_project.js';
import { configProject } from '../_config-project.js';

const validateSarif = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/sarif/sarif-2.1.0.json'), 'utf8')));

interface Command { level: string; props: Record<string, string>; message: string }

function parseCommands(stdout: string): Command[] {
  const out: Command[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice) ([^:]*)::(.*)$/.exec(line);
    if (!m) continue;
    const props = Object.fromEntries(m[2]!.split(',').map((kv) => kv.split('=', 2) as [string, string]).map(([k, v]) => [k, decodeURIComponent(v!)]));
    out.push({ level: m[1]!, props, message: decodeURIComponent(m[3]!) });
  }
  return out;
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** A repository whose base commit holds this project's dist/ and source map; `change` edits the head. */
function repository(change: (dir: string) => void): { dir: string; base: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-gate-'));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.mkdirSync(path.join(dir, '.meshproof'));
  fs.copyFileSync(path.join(ROOT, '.meshproof/sourcemap.json'), path.join(dir, '.meshproof/sourcemap.json'));
  fs.cpSync(path.join(ROOT, 'apps'), path.join(dir, 'apps'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'base');
  const base = git(dir, 'rev-parse', 'HEAD');
  change(dir);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'head', '--allow-empty');
  return { dir, base };
}

async function gate(dir: string, base: string, inputs: Record<string, string> = {}, deps: Parameters<typeof runAction>[1] = {}) {
  const runner = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-runner-'));
  const event = path.join(runner, 'event.json');
  fs.writeFileSync(event, JSON.stringify({ pull_request: { number: 7, base: { sha: base, ref: 'main' } } }));
  const outputFile = path.join(runner, 'output');
  const summaryFile = path.join(runner, 'summary.md');
  fs.writeFileSync(outputFile, '');
  fs.writeFileSync(summaryFile, '');
  let stdout = '';
  const env: Record<string, string> = { GITHUB_ACTIONS: 'true', GITHUB_EVENT_PATH: event, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, GITHUB_WORKSPACE: dir };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase().replace(/-/g, '_')}`] = v;
  const code = await runAction({ stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stdout += s) }, stdin: () => [], env, cwd: dir, today: '2026-11-29' }, deps);
  const outputs = Object.fromEntries(fs.readFileSync(outputFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split('=', 2) as [string, string]));
  const summary = fs.readFileSync(summaryFile, 'utf8');
  fs.rmSync(runner, { recursive: true, force: true });
  return { code, stdout, commands: parseCommands(stdout), outputs, summary };
}

/** The TypeScript line the source map names for VirtualService customers/customers. */
const CANARY_LINE = (Object.values((JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/sourcemap.json'), 'utf8')) as { objects: Record<string, { kind: string; name: string; line: number }> }).objects)
  .find((o) => o.kind === 'VirtualService' && o.name === 'customers')!).line;

const breakWeight = (dir: string) => {
  const file = path.join(dir, 'dist/customers.k8s.yaml');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.trim() === 'weight: 10');
  assert.ok(at > 0, 'the canary weight line');
  lines[at] = lines[at]!.replace('weight: 10', 'weight: 20');
  fs.writeFileSync(file, lines.join('\n'));
  // The author's edit: the construct line the source map names for this VirtualService.
  const ts = path.join(dir, 'apps/customers.ts');
  const src = fs.readFileSync(ts, 'utf8').split('\n');
  src[CANARY_LINE - 1] = `${src[CANARY_LINE - 1]} // canary`;
  fs.writeFileSync(ts, src.join('\n'));
};

test('GIVEN a pull request that breaks a canary weight and fail-on warning WHEN the gate runs THEN it fails with annotations on the TypeScript and YAML lines, a diff, a diagram and SARIF', async () => {
  const { dir, base } = repository(breakWeight);
  try {
    // Weights that do not add up to 100 are a warning (istiod normalises them); this team fails on warnings.
    const r = await gate(dir, base, { 'fail-on': 'warning' });
    assert.is(r.code, 1, r.stdout);
    const errors = r.commands.filter((c) => c.level === 'warning' && c.props['title']?.includes('weights-total-100'));
    const ts = errors.find((c) => c.props['file'] === 'apps/customers.ts');
    assert.ok(ts, `an error on the TypeScript line:\n${r.stdout}`);
    assert.is(ts!.props['line'], String(CANARY_LINE));
    assert.match(ts!.message, /weight/i);
    assert.ok(errors.some((c) => c.props['file'] === 'dist/customers.k8s.yaml'), 'and on the YAML line');
    // The finding on the touched line comes first.
    assert.is(errors[0]!.props['file'], 'apps/customers.ts');
    assert.match(r.summary, /# meshproof gate: failed/);
    assert.match(r.summary, /## What changed in dist\/ since main|## What changed in dist\/ since [0-9a-f]{7}/);
    assert.match(r.summary, /\| customers\.customers\.svc\.cluster\.local\/v2 \| 10 \| 20 \|/);
    assert.match(r.summary, /```mermaid\nflowchart LR/);
    assert.match(r.summary, /R\d -- "20%" --> D\d/);
    assert.ok(Buffer.byteLength(r.summary) < 1024 * 1024);
    const sarif = JSON.parse(fs.readFileSync(path.join(dir, 'meshproof.sarif'), 'utf8')) as { version: string; runs: { results: unknown[] }[] };
    assert.ok(validateSarif(sarif), `SARIF 2.1.0 schema: ${JSON.stringify(validateSarif.errors?.slice(0, 3))}`);
    assert.is(sarif.version, '2.1.0');
    assert.ok(sarif.runs[0].results.length >= 1);
    assert.ok(Number(r.outputs['warnings']) >= 1);
    assert.is(r.outputs['verified'], 'skipped');
    assert.is(r.outputs['report'], 'meshproof-report.md');
    assert.is(fs.readFileSync(path.join(dir, 'meshproof-report.md'), 'utf8'), r.summary);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a pull request that changes nothing in dist/ WHEN the gate runs THEN it passes with no annotations and says there is no change', async () => {
  const { dir, base } = repository(() => {});
  try {
    const r = await gate(dir, base);
    assert.is(r.code, 0, r.stdout);
    assert.is(r.commands.filter((c) => c.level === 'error').length, 0);
    assert.match(r.summary, /# meshproof gate: passed/);
    assert.match(r.summary, /\*\*no changes\*\*/);
    assert.is(r.outputs['errors'], '0');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a base ref that does not exist WHEN the gate runs THEN it warns, skips the diff and still gates on the checks', async () => {
  const { dir, base } = repository(breakWeight);
  try {
    const r = await gate(dir, base, { 'base-ref': 'no-such-branch', 'fail-on': 'warning' });
    assert.is(r.code, 1);
    const warning = r.commands.find((c) => c.level === 'warning' && /no-such-branch/.test(c.message));
    assert.ok(warning, r.stdout);
    assert.match(warning!.message, /fetch-depth: 0|base-ref/);
    assert.match(r.summary, /semantic diff is skipped/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a pull request that deletes dist/ WHEN the gate runs THEN it fails saying Argo CD would prune everything, and the diff lists the removals', async () => {
  const { dir, base } = repository((d) => fs.rmSync(path.join(d, 'dist'), { recursive: true }));
  try {
    const r = await gate(dir, base);
    assert.is(r.code, 1);
    assert.ok(r.commands.some((c) => c.level === 'error' && /deletes dist.*prune/.test(c.message)), r.stdout);
    assert.match(r.summary, /### Removed/);
    assert.match(r.summary, /0 added, \d+ removed, 0 changed/);
    assert.is(r.outputs['sarif-file'], '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a check that crashes WHEN the gate runs THEN exit 2 with an internal-error annotation, and the summary says the checks could not run', async () => {
  const { dir, base } = repository(() => {});
  try {
    const r = await gate(dir, base, {}, { check: async () => { throw new TypeError('boom in a rule'); } });
    assert.is(r.code, 2);
    assert.ok(r.commands.some((c) => c.level === 'error' && c.props['title'] === 'meshproof: internal error' && /boom in a rule/.test(c.message)), r.stdout);
    assert.match(r.summary, /could not run: boom in a rule/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a config file that does not parse WHEN the gate runs THEN exit 2 naming the file, not a crash', async () => {
  const { dir, base } = repository((d) => fs.writeFileSync(path.join(d, 'meshproof.config.yaml'), 'rules: [unclosed\n'));
  try {
    const r = await gate(dir, base);
    assert.is(r.code, 2);
    assert.ok(r.commands.some((c) => c.level === 'error' && c.props['title'] === 'meshproof: cannot run' && /meshproof\.config\.yaml/.test(c.message)), r.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN verify: maybe WHEN the gate runs THEN exit 2 saying verify takes true or false', async () => {
  const { dir, base } = repository(() => {});
  try {
    const r = await gate(dir, base, { verify: 'maybe' });
    assert.is(r.code, 2);
    assert.match(r.stdout, /verify input must be true or false/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN verify: true WHEN the checks pass THEN verify runs on the paths with a Markdown report that joins the summary, and a broken promise fails the gate', async () => {
  const { dir, base } = repository(() => {});
  try {
    const calls: string[][] = [];
    const verify = (code: number) => async (args: string[]) => {
      calls.push(args);
      const out = args[args.indexOf('--output') + 1]!;
      fs.writeFileSync(out, code === 0 ? '**48 promises held**\n' : '**1 promise broken**: split 90/10 at apps/customers.ts:55\n');
      return code;
    };
    const held = await gate(dir, base, { verify: 'true' }, { verify: verify(0) });
    assert.is(held.code, 0, held.stdout);
    assert.equal(calls[0]!.slice(0, 3), ['dist', '--format', 'markdown']);
    assert.is(held.outputs['verified'], 'yes');
    assert.match(held.summary, /## Traffic proof\n\n\*\*48 promises held\*\*/);
    const broken = await gate(dir, base, { verify: 'true' }, { verify: verify(1) });
    assert.is(broken.code, 1);
    assert.is(broken.outputs['verified'], 'no');
    assert.match(broken.summary, /# meshproof gate: failed/);
    assert.match(broken.summary, /Traffic proof failed/);
    const cannot = await gate(dir, base, { verify: 'true' }, { verify: verify(2) });
    assert.is(cannot.code, 1, 'asked for a proof and got none: the gate fails');
    assert.is(cannot.outputs['verified'], 'error');
    assert.ok(cannot.commands.some((c) => c.level === 'error' && c.props['title'] === 'meshproof: verify could not run'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a PR that changes a weight a few lines below the finding\'s line WHEN old findings fill the slots THEN the PR\'s own finding is still annotated first', async () => {
  const { dir, base } = repository((d) => {
    // The base already has 12 findings elsewhere (weights adding up to 110) in another file.
    const old = Array.from({ length: 12 }, (_, i) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: old-${i}, namespace: customers}
spec:
  hosts: [customers]
  http:
  - route:
    - destination: {host: customers, subset: v1}
      weight: 60
    - destination: {host: customers, subset: v2}
      weight: 50
`).join('---\n');
    fs.writeFileSync(path.join(d, 'dist/aa-old.k8s.yaml'), old);
  });
  try {
    // Commit the old findings into the base, then break the canary weight in the head.
    git(dir, 'reset', '-q', '--soft', base);
    git(dir, 'commit', '-qm', 'base with old findings');
    const newBase = git(dir, 'rev-parse', 'HEAD');
    const file = path.join(dir, 'dist/customers.k8s.yaml');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.trim() === 'weight: 10');
    lines[at] = lines[at]!.replace('weight: 10', 'weight: 15');
    fs.writeFileSync(file, lines.join('\n'));
    git(dir, 'commit', '-qam', 'break the canary');
    const r = await gate(dir, newBase, { 'fail-on': 'warning' });
    const warnings = r.commands.filter((c) => c.level === 'warning' && c.props['title']?.includes('weights-total-100'));
    assert.is(warnings.length, 10);
    assert.equal(warnings.slice(0, 2).map((c) => c.props['file']), ['apps/customers.ts', 'dist/customers.k8s.yaml'], r.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a PR that deletes dist/ WHEN the summary lists the removals THEN they name the repository path in the base, never a temporary copy', async () => {
  const { dir, base } = repository((d) => fs.rmSync(path.join(d, 'dist'), { recursive: true }));
  try {
    const r = await gate(dir, base);
    assert.match(r.summary, /`dist\/bookinfo\.k8s\.yaml:\d+ \(apps\/bookinfo\.ts:\d+\)` \(in the base\)/);
    assert.not.match(r.summary, /meshproof-base-/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a host name with HTML in it WHEN the summary draws its traffic THEN the heading is escaped', () => {
  const md = gateSummary({ passed: true, verdict: 'ok', check: null, diff: null, changedHosts: [{ host: '</svg><img src=x onerror=alert(1)>.shop', gateways: ['mesh'], routes: [], virtualServices: [] }], verify: null, omittedAnnotations: 0 });
  assert.match(md, /### &lt;\/svg&gt;&lt;img src=x onerror=alert\(1\)&gt;\.shop/);
  assert.not.match(md, /<img/);
});

test('GIVEN a repository whose meshproof.config.yaml sets clusterDomain corp.example and a context folder WHEN a pull request changes a VirtualService THEN the changed host is drawn under that domain, resolved against the context', async () => {
  const dir = configProject('gate-config');
  try {
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'base');
    const base = git(dir, 'rev-parse', 'HEAD');
    const app = path.join(dir, 'dist', 'app.yaml');
    fs.writeFileSync(app, fs.readFileSync(app, 'utf8').replace('timeout: 3s', 'timeout: 4s'));
    git(dir, 'commit', '-qam', 'head');
    const r = await gate(dir, base);
    assert.is(r.code, 0, r.stdout);
    assert.ok(r.summary.includes('cart.shop.svc.corp.example'), r.summary);
    assert.not.ok(r.summary.includes('svc.cluster.local'), r.summary);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a repository whose meshproof.config.yaml excludes dist/legacy/** WHEN a pull request changes only a file there THEN the gate\'s diff leaves it out, as check does', async () => {
  const dir = configProject('gate-exclude');
  try {
    fs.appendFileSync(path.join(dir, 'meshproof.config.yaml'), 'exclude: ["dist/legacy/**"]\n');
    fs.mkdirSync(path.join(dir, 'dist', 'legacy'));
    const legacy = path.join(dir, 'dist', 'legacy', 'old.yaml');
    fs.writeFileSync(legacy, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: old, namespace: shop }\ndata: { a: "1" }\n');
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'base');
    const base = git(dir, 'rev-parse', 'HEAD');
    fs.writeFileSync(legacy, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: old, namespace: shop }\ndata: { a: "2" }\n');
    fs.writeFileSync(path.join(dir, 'dist', 'legacy', 'new.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: new, namespace: shop }\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'head');
    const r = await gate(dir, base);
    assert.is(r.code, 0, r.stdout);
    assert.not.match(r.summary, /ConfigMap shop\/(old|new)/, r.summary);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
