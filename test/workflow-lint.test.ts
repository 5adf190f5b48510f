/**
 * The shell the workflows and action.yml run, linted the way it will run: each `run:` step as a bash
 * script (GitHub runs `bash --noprofile --norc -eo pipefail`), `${{ … }}` expressions replaced by a
 * placeholder, checked by shellcheck (Debian `shellcheck`, installed when missing and root); and no
 * untrusted event field (`github.head_ref`, PR titles, bodies, branch names) expanded straight into a
 * script, where a crafted branch name would run as code.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planScaffold } from '../src/cli/init-command.js';
import { ROOT } from './_project.js';
import { ensureDebianTool } from './_debian.js';

interface Script { where: string; text: string }

function runSteps(file: string, text = fs.readFileSync(file, 'utf8')): Script[] {
  const doc = parse(text) as { jobs?: Record<string, { steps?: { name?: string; run?: string }[] }>; runs?: { steps?: { name?: string; run?: string }[] } };
  const steps = doc.runs?.steps ? [['action', doc.runs.steps] as const] : Object.entries(doc.jobs ?? {}).map(([job, j]) => [job, j.steps ?? []] as const);
  const rel = path.relative(ROOT, file);
  return steps.flatMap(([job, list]) => list.flatMap((s, i) => (s.run ? [{ where: `${rel} ${job} step ${i + 1}${s.name ? ` (${s.name})` : ''}`, text: s.run }] : [])));
}

const files = [
  ...fs.readdirSync(path.join(ROOT, '.github/workflows')).map((f) => path.join(ROOT, '.github/workflows', f)),
  path.join(ROOT, 'action.yml'),
].filter((f) => /\.ya?ml$/.test(f));
/** init's workflow templates hold %%PLACEHOLDERS%%: lint them as init fills them, with and without --action. */
const scaffolded = [undefined, 'acme/meshproof@v1'].flatMap((action) => planScaffold({ dir: path.join(os.tmpdir(), 'meshproof-lint-scaffold-never-written'), ...(action ? { action } : {}) })
  .filter((f) => f.path.startsWith('.github/workflows/'))
  .flatMap((f) => runSteps(path.join(ROOT, 'templates/project/dot-github/workflows', path.basename(f.path)), f.content)
    .map((s) => ({ ...s, where: `${s.where}${action ? ` (--action ${action})` : ''}` }))));
const scripts = [...files.flatMap((f) => runSteps(f)), ...scaffolded];

const UNTRUSTED = /\$\{\{\s*(github\.head_ref|github\.event\.(pull_request\.(title|body|head\.(ref|label))|issue\.(title|body)|comment\.body|review\.body|head_commit\.message|commits))/;

let shellcheckBin: string | undefined;
/** shellcheck's findings per script text: the same step in several workflows (init's templates with and without --action) is linted once. */
const linted = new Map<string, string>();

function shellcheck(text: string): string {
  const script = `#!/usr/bin/env bash\nset -eo pipefail\n${text.replace(/\$\{\{[^}]*\}\}/g, 'GH_EXPR')}`;
  let found = linted.get(script);
  if (found === undefined) {
    shellcheckBin ??= ensureDebianTool('shellcheck', 'shellcheck');
    const r = spawnSync(shellcheckBin, ['-s', 'bash', '-f', 'gcc', '-'], { input: script, encoding: 'utf8' });
    linted.set(script, (found = r.stdout.trim()));
  }
  return found;
}

test('GIVEN the workflows, the init template and action.yml WHEN their run steps are collected THEN there are scripts to lint', () => {
  assert.ok(scripts.length >= 6, `${scripts.length} scripts`);
});

for (const s of scripts) {
  test(`GIVEN ${s.where} WHEN linted THEN shellcheck finds nothing and no untrusted event field is expanded into it`, () => {
    assert.is(shellcheck(s.text), '', s.text);
    assert.not.match(s.text, UNTRUSTED);
  });
}

test('GIVEN a script with an unquoted variable and a PR title in it WHEN linted THEN both are caught', () => {
  assert.match(shellcheck('rm -rf $TARGET/dist'), /SC2086/);
  assert.match('echo "${{ github.event.pull_request.title }}"', UNTRUSTED);
});

test('GIVEN e2e-kind.yml WHEN read THEN it creates a kind cluster, installs the vendored Istio CRDs, dry-runs dist/ on the API server and loads the runtime image', () => {
  const text = fs.readFileSync(path.join(ROOT, '.github/workflows/e2e-kind.yml'), 'utf8');
  for (const needle of ['helm/kind-action@v1', 'kubectl apply --server-side -f schemas/istio/crd-all.gen.yaml', '--dry-run=server', 'docker build -f runtime/Dockerfile', 'kind load docker-image']) assert.ok(text.includes(needle), needle);
});

test('GIVEN runtime/Dockerfile WHEN read THEN every path it copies from the repository exists and its entrypoint is the shipped bin', () => {
  const text = fs.readFileSync(path.join(ROOT, 'runtime/Dockerfile'), 'utf8');
  const copied = [...text.matchAll(/^COPY --from=build \/src\/(\S+)/gm)].map((m) => m[1]!);
  assert.ok(copied.length >= 5);
  // lib/ and node_modules/ are produced inside the image by npm ci and npm run build.
  for (const p of copied.filter((c) => !['lib', 'node_modules'].includes(c))) assert.ok(fs.existsSync(path.join(ROOT, p)), `${p} exists`);
  assert.match(text, /ENTRYPOINT \["node", "\/opt\/meshproof\/bin\/meshproof\.js"\]/);
  assert.ok(fs.existsSync(path.join(ROOT, 'bin/meshproof.js')));
});

test.run();
