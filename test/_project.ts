import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
/** What `cdk8s synth` reads; everything else (tests, docs, node_modules) is irrelevant to the output. */
const INPUTS = ['apps', 'src', 'imports', 'lib', 'schemas', 'plugins', 'cdk8s.yaml', 'package.json', 'tsconfig.json', 'tsconfig.apps.json'];
/** The committed output of the last synth. */
const OUTPUTS = ['dist', '.meshproof/sourcemap.json'];

/**
 * A throw-away copy of the project (node_modules linked), for running the real CLI on it; with
 * `withOutput`, also the committed dist/ and source map, as a checkout has them.
 */
export function copyProject(withOutput = false): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-project-'));
  for (const entry of withOutput ? [...INPUTS, ...OUTPUTS] : INPUTS) {
    if (fs.existsSync(path.join(ROOT, entry))) fs.cpSync(path.join(ROOT, entry), path.join(work, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');
  return work;
}

/** Runs `cdk8s synth` (with the validation plugin from cdk8s.yaml) in `dir`; extra args like `--output x`. */
export function cdk8sSynth(dir: string, ...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(path.join(ROOT, 'node_modules/.bin/cdk8s'), ['synth', '--check-upgrade', 'false', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

/** Every file under `root` with its content; `under` limits it to some paths. */
export function snapshot(root: string, under: readonly string[] = ['']): Record<string, string> {
  return Object.fromEntries(under.flatMap((u) => {
    const p = path.join(root, u);
    if (!fs.existsSync(p)) return [];
    if (fs.statSync(p).isFile()) return [[u, fs.readFileSync(p, 'utf8')]];
    return listFiles(p).map((f) => [path.join(u, f), fs.readFileSync(path.join(p, f), 'utf8')]);
  }));
}

/** Every file under `dir`, relative, sorted. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
