import { repoUrlProblem } from './repo-url.js';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from './args.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { packagePath } from '../package-root.js';
import type { CliIO } from './io.js';
import { UsageError } from './usage.js';
import { VERSION } from './version.js';
import { stringify } from 'yaml';
import { argoCdApplicationYaml } from '../gitops/argocd-application.js';
import { checkSteps } from './init-workflow.js';

/** Where init writes the Argo CD Application, relative to the project. */
const ARGOCD_APPLICATION = 'argocd/application.yaml';

const OPTIONS = {
  force: { type: 'boolean', short: 'f' },
  'no-install': { type: 'boolean' },
  name: { type: 'string' },
  'repo-url': { type: 'string' },
  action: { type: 'string' },
} as const;

const TEMPLATE_DIR = ['templates', 'project'] as const;
/** Dependencies the scaffold takes from meshproof's own package.json, so versions match. */
const DEPENDENCIES = ['cdk8s', 'cdk8s-plus-27', 'constructs'] as const;
const DEV_DEPENDENCIES = ['cdk8s-cli', 'typescript', 'tsx'] as const;

/** One file of the scaffold, relative to the target folder. */
export interface ScaffoldFile {
  readonly path: string;
  readonly content: string;
  /** `create`: new; `overwrite`: replaces an existing file (only with --force); `update`: package.json merged. */
  readonly action: 'create' | 'overwrite' | 'update' | 'unchanged';
  /** What init changed or kept that the user should know (package.json: version ranges that cannot work). */
  readonly notes?: readonly string[];
}

export interface ScaffoldOptions {
  /** Target folder (absolute). */
  readonly dir: string;
  readonly force?: boolean;
  /** Argo CD Application name. @default the folder name as a DNS-1123 label */
  readonly name?: string;
  /** Git URL Argo CD pulls from. @default a placeholder to edit */
  readonly repoUrl?: string;
  /**
   * `uses:` of the PR workflow's check step (a GitHub Action such as `<owner>/meshproof@<ref>`).
   * @default - none: the workflow runs the installed package (`npx meshproof check`, `npx meshproof verify`)
   */
  readonly action?: string;
}

/**
 * Plans `meshproof init` without writing anything: every template file (placeholders filled) plus
 * a package.json created or merged (existing values win unless `force`; a dependency already
 * declared in any dependency field is never added again nor changed). Throws UsageError listing
 * every file that exists and would be replaced, unless `force`.
 */
export function planScaffold(options: ScaffoldOptions): ScaffoldFile[] {
  const name = options.name ?? dnsLabel(path.basename(options.dir));
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw new UsageError(`--name must be a DNS-1123 label (lowercase letters, digits, "-", at most 63); got "${name}"`);
  const vars: Record<string, string> = {
    MESHPROOF_VERSION: VERSION,
    NAME: name,
    REPO_URL: options.repoUrl ?? 'https://github.com/your-org/your-repo.git',
    CHECK_STEPS: checkSteps(options.action),
  };
  const templates = packagePath(...TEMPLATE_DIR);
  const files: ScaffoldFile[] = [];
  const conflicts: string[] = [];
  for (const source of listTemplates(templates)) {
    const content = fs.readFileSync(path.join(templates, source), 'utf8').replace(/%%([A-Z_]+)%%/g, (m, key: string) => vars[key] ?? m);
    const rel = dotted(source);
    const target = path.join(options.dir, rel);
    const existing = readIfExists(target);
    if (existing === content) files.push({ path: rel, content, action: 'unchanged' });
    else if (existing === undefined) files.push({ path: rel, content, action: 'create' });
    else if (options.force) files.push({ path: rel, content, action: 'overwrite' });
    else conflicts.push(rel);
  }
  // The Argo CD Application is generated (src/gitops), not copied: one definition, validated in tests.
  const application = argoCdApplicationYaml({ name, repoURL: vars['REPO_URL']! }, (v) => stringify(v, { lineWidth: 0 }));
  const appTarget = path.join(options.dir, ARGOCD_APPLICATION);
  const appExisting = readIfExists(appTarget);
  if (appExisting === application) files.push({ path: ARGOCD_APPLICATION, content: application, action: 'unchanged' });
  else if (appExisting === undefined) files.push({ path: ARGOCD_APPLICATION, content: application, action: 'create' });
  else if (options.force) files.push({ path: ARGOCD_APPLICATION, content: application, action: 'overwrite' });
  else conflicts.push(ARGOCD_APPLICATION);
  if (conflicts.length > 0) {
    throw new UsageError(`init would overwrite ${conflicts.length === 1 ? 'an existing file' : `${conflicts.length} existing files`}: ${conflicts.join(', ')}; nothing was written. Run it in an empty folder, move them away, or pass --force to replace them`);
  }
  files.push(packageJson(options.dir, name, options.force ?? false));
  return files;
}

/** package.json: the scaffold's, or the existing one with what is missing added. */
function packageJson(dir: string, name: string, force: boolean): ScaffoldFile {
  const own = JSON.parse(fs.readFileSync(packagePath('package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const wanted = {
    type: 'module',
    scripts: { synth: 'cdk8s synth --check-upgrade false', check: 'meshproof check dist', typecheck: 'tsc --noEmit' },
    dependencies: { meshproof: `^${VERSION}`, ...Object.fromEntries(DEPENDENCIES.map((d) => [d, own.dependencies[d]!])) },
    devDependencies: Object.fromEntries(DEV_DEPENDENCIES.map((d) => [d, own.devDependencies[d]!])),
  };
  const file = path.join(dir, 'package.json');
  const text = readIfExists(file);
  let pkg: Record<string, unknown>;
  try {
    pkg = text === undefined ? { name, version: '0.1.0', private: true } : (JSON.parse(text) as Record<string, unknown>);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message}); fix it or remove it, then run init again; nothing was written`);
  }
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) throw new UsageError(`${file} does not hold a JSON object; nothing was written`);
  if (pkg['type'] !== undefined && pkg['type'] !== 'module' && !force) {
    // `npm init -y` (npm 11) writes "type": "commonjs". The switch to ES modules changes only what
    // `.js` files mean, so a project without any is switched; one with some is left to its owner.
    const scripts = pkg['type'] === 'commonjs' ? commonJsFiles(dir) : ['?'];
    if (scripts.length > 0) {
      if (pkg['type'] === 'commonjs') {
        const list = `${scripts.slice(0, 5).join(', ')}${scripts.length > 5 ? `, … (${scripts.length - 5} more)` : ''}`;
        const these = scripts.length === 1 ? 'this .js file as an ES module' : 'these .js files as ES modules';
        throw new UsageError(`${file} has "type": "commonjs"; init must switch it to "type": "module" (apps/main.ts is an ES module that imports meshproof), which would make Node read ${these}: ${list}. Rename the CommonJS ones to .cjs and run init again, or pass --force to switch anyway; nothing was written`);
      }
      throw new UsageError(`${file} has "type": ${JSON.stringify(pkg['type'])}, but apps/main.ts is an ES module that imports meshproof: set "type": "module" or pass --force; nothing was written`);
    }
  }
  const merged: Record<string, unknown> = { ...pkg, type: 'module' };
  const declared = declaredDependencies(pkg);
  for (const key of ['scripts', 'dependencies', 'devDependencies'] as const) {
    const current = (pkg[key] ?? {}) as Record<string, string>;
    // A package the project already declares in any dependency field keeps that entry, even with
    // --force (e.g. `npm i -D ./meshproof-0.1.0.tgz`): a second entry, or a version range in place
    // of the tarball, could resolve by name from the registry.
    const add = key === 'scripts' ? wanted[key] : Object.fromEntries(Object.entries(wanted[key]).filter(([d]) => !declared.has(d)));
    merged[key] = force ? { ...current, ...add } : { ...add, ...current };
  }
  const notes = [...outdatedRanges(pkg, merged, { ...wanted.dependencies, ...wanted.devDependencies }, force), ...outsideSpecs(merged, dir)];
  // meshproof is not on the public npm registry: a range added here installs only from a registry that has it.
  if (!declared.has('meshproof')) notes.push(`package.json: added dependencies.meshproof "^${VERSION}", which npm resolves from your registry; meshproof is not on the public npm registry, so npm install fails with E404 there: install the package first (npm i -D <path to meshproof-${VERSION}.tgz>, README "Getting the package"), or publish it to your organisation's registry`);
  const content = `${JSON.stringify(merged, null, 2)}\n`;
  return { path: 'package.json', content, action: text === undefined ? 'create' : text === content ? 'unchanged' : 'update', ...(notes.length > 0 ? { notes } : {}) };
}

/**
 * Dependencies the project already declares with a version range that cannot install what the
 * scaffold needs (`cdk8s: ^1.0.0` where meshproof's apps need cdk8s 2): with `force` the range is
 * replaced in `merged` (in the field that declares it) by the scaffold's; without, it is kept.
 * Either way a note says so. Specs that are not one plain range (`file:`, git URLs, tarballs,
 * `npm:` aliases, `*`, `||` unions) are deliberate and kept without a word.
 */
function outdatedRanges(pkg: Record<string, unknown>, merged: Record<string, unknown>, wanted: Readonly<Record<string, string>>, force: boolean): string[] {
  const notes: string[] = [];
  for (const field of DEPENDENCY_FIELDS) {
    const deps = pkg[field];
    if (typeof deps !== 'object' || deps === null || Array.isArray(deps)) continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      const need = wanted[name];
      if (need === undefined || typeof spec !== 'string') continue;
      const have = releaseLine(spec);
      const want = releaseLine(need);
      if (have === undefined || want === undefined || have === want) continue;
      if (force) {
        merged[field] = { ...(merged[field] as Record<string, string>), [name]: need };
        notes.push(`package.json: ${field}.${name} "${spec}" → "${need}" (--force: "${spec}" cannot install the ${name} ${want} meshproof needs)`);
      } else {
        notes.push(`package.json keeps ${field}.${name} "${spec}", which cannot install the ${name} ${want} meshproof needs ("${need}"): run init --force to update it, or npm install ${name}@${need}`);
      }
    }
  }
  return notes;
}

/**
 * Dependencies declared as a local path (`file:../pkg/meshproof-0.1.0.tgz`, `link:`, an absolute path) that
 * lies outside the project folder: `npm ci` in the scaffolded workflow checks out only this repository, so the
 * first CI run fails. One note each, naming the field, the spec and the ways out. Paths inside the project are
 * fine (a vendored, committed tarball).
 */
function outsideSpecs(pkg: Record<string, unknown>, dir: string): string[] {
  const notes: string[] = [];
  const root = path.resolve(dir);
  for (const field of DEPENDENCY_FIELDS) {
    const deps = pkg[field];
    if (typeof deps !== 'object' || deps === null || Array.isArray(deps)) continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      if (typeof spec !== 'string') continue;
      const m = /^(?:file:|link:)(.*)$/.exec(spec) ?? (/^(?:\.{1,2}\/|\/|~\/)/.test(spec) ? [spec, spec] : null);
      if (!m) continue;
      const target = path.resolve(root, m[1]!.replace(/^~(?=\/)/, process.env['HOME'] ?? '~'));
      const rel = path.relative(root, target);
      if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) continue;
      notes.push(`warning: package.json ${field}.${name} is "${spec}", a path outside this repository: the workflow's npm ci (.github/workflows/mesh-gate.yml) cannot install it in CI. ` +
        `Publish ${name} to a registry (npm, GitHub Packages) and depend on a version range, or copy the tarball into the repository (e.g. vendor/), commit it and install it from there (npm i -D ./vendor/<file>.tgz)`);
    }
  }
  return notes;
}

/**
 * The release line a plain npm version range stays within, as its caret would: the major version
 * (`2` for `^2.70.106`, `~2.1`, `2.x`, `2.3.4`, `>=2.0.0 <3`), or `0.<minor>` below 1.0. Undefined for
 * anything else (`file:`, URLs, `latest`, `*`, `||` unions, ranges spanning majors).
 */
function releaseLine(spec: string): string | undefined {
  const bounds = spec.trim().split(/\s+/);
  const lines = new Set<string>();
  for (const b of bounds) {
    const m = /^(?:\^|~|>=|=|v)?v?(\d+)(?:\.(\d+|x|\*))?(?:\.(?:\d+|x|\*))?(?:-[0-9A-Za-z.-]+)?$/.exec(b);
    if (m) { lines.add(m[1] === '0' && m[2] !== undefined && /^\d+$/.test(m[2]) ? `0.${m[2]}` : m[1]!); continue; }
    // An exclusive upper bound of the next major (`<3`, `<3.0.0`) stays within the line.
    if (/^<\d+(?:\.0){0,2}$/.test(b) && bounds.length > 1) continue;
    return undefined;
  }
  return lines.size === 1 ? [...lines][0] : undefined;
}

/** The `.js` files of the project (its folder and the folders below, not node_modules or dot-folders; at most 4 levels, 50 names). */
function commonJsFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= 50) return;
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const full = path.join(at, e.name);
      if (e.isDirectory() && depth < 4) walk(full, depth + 1);
      else if (e.isFile() && e.name.endsWith('.js')) out.push(path.relative(dir, full));
    }
  };
  walk(dir, 1);
  return out.sort();
}

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/** Names the package.json declares in any of its dependency fields. */
function declaredDependencies(pkg: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  for (const field of DEPENDENCY_FIELDS) {
    const deps = pkg[field];
    if (typeof deps === 'object' && deps !== null && !Array.isArray(deps)) for (const name of Object.keys(deps)) names.add(name);
  }
  return names;
}

/**
 * Writes the planned files. All or nothing: on any failure the files written so far are removed
 * or restored to their previous content, and the error is rethrown.
 */
export function writeScaffold(dir: string, files: readonly ScaffoldFile[]): void {
  const done: { file: string; previous: string | undefined }[] = [];
  const createdDirs: string[] = [];
  try {
    for (const f of files) {
      if (f.action === 'unchanged') continue;
      const file = path.join(dir, f.path);
      const missing = missingDirs(path.dirname(file));
      createdDirs.push(...missing);
      // One level at a time: Node's recursive mkdir never returns where mkdir keeps failing with ENOENT (under /proc).
      for (const d of missing) fs.mkdirSync(d);
      const previous = readIfExists(file);
      const temp = `${file}.meshproof-init-${process.pid}`;
      fs.writeFileSync(temp, f.content, { flag: 'wx' });
      done.push({ file, previous });
      fs.renameSync(temp, file);
    }
  } catch (e) {
    // Undo every step even if one undo fails (e.g. a "folder" that is really a file).
    const undo = (fn: () => void) => { try { fn(); } catch { /* best effort; the original error is what matters */ } };
    for (const { file, previous } of done.reverse()) {
      undo(() => fs.rmSync(`${file}.meshproof-init-${process.pid}`, { force: true }));
      undo(() => (previous === undefined ? fs.rmSync(file, { force: true }) : fs.writeFileSync(file, previous)));
    }
    for (const d of createdDirs.reverse()) undo(() => fs.rmSync(d, { recursive: true, force: true }));
    throw e;
  }
}

/**
 * What a workflow step's `uses:` takes for an action in a repository (GitHub's `{owner}/{repo}@{ref}`,
 * optionally with a path) or in this one (`./path`): one token, so nothing can spill into the YAML.
 */
const ACTION_REF = /^(?:\.\/[^\s]*|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\/[A-Za-z0-9._-]+(?:\/[^\s@]+)?@[^\s@]+)$/;

/** `meshproof init [dir] [--force] [--no-install] [--name n] [--repo-url u] [--action a]`. */
export async function initCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length > 1) throw new UsageError(`init takes at most one folder; got ${positionals.join(' ')}`);
  const dir = path.resolve(io.cwd, positionals[0] ?? '.');
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a folder`);
  if (values.action !== undefined && !ACTION_REF.test(values.action)) {
    throw new UsageError(`--action ${JSON.stringify(values.action)} is not a GitHub Action reference the workflow's uses: can take; expected <owner>/<repo>@<ref> (e.g. my-org/meshproof@v0.1.0), <owner>/<repo>/<path>@<ref>, or ./<path> for an action inside this repository`);
  }
  const repoUrl = values['repo-url'] === undefined ? undefined : repoUrlProblem(values['repo-url']);
  if (repoUrl !== undefined) throw new UsageError(repoUrl);
  const files = planScaffold({
    dir,
    force: values.force ?? false,
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values['repo-url'] !== undefined ? { repoUrl: values['repo-url'] } : {}),
    ...(values.action !== undefined ? { action: values.action } : {}),
  });
  try {
    writeScaffold(dir, files);
  } catch (e) {
    io.stderr.write(`meshproof: init could not write to ${dir}: ${(e as Error).message}; nothing was written\n`);
    return EXIT_USAGE;
  }
  for (const f of files) io.stdout.write(`  ${f.action.padEnd(9)} ${f.path}\n`);
  for (const note of files.flatMap((f) => f.notes ?? [])) io.stderr.write(`meshproof: ${note}\n`);
  if (!values['no-install']) {
    io.stdout.write('\nInstalling dependencies (npm install)…\n');
    const npm = spawnSync('npm', ['install', '--no-fund', '--no-audit'], { cwd: dir, stdio: 'inherit', shell: process.platform === 'win32' });
    if (npm.status !== 0) {
      io.stderr.write(`meshproof: npm install failed in ${dir} (${npm.error?.message ?? `exit ${npm.status}`}); the files are in place: run npm install there yourself\n`);
      return EXIT_FINDINGS;
    }
  }
  const rel = path.relative(io.cwd, dir);
  const cd = rel.startsWith('..') ? dir : rel;
  io.stdout.write([
    '',
    'Next steps:',
    ...(cd ? [`  cd ${shellQuote(cd)}`] : []),
    ...(values['no-install'] ? ['  npm install'] : []),
    '  npm run synth               type-check apps/, synthesize dist/, run the checks',
    '  npx meshproof check dist    the same checks, as CI runs them',
    '  git add -A && git commit    dist/, .meshproof/sourcemap.json and .meshproof/expectations.json are committed',
    `  edit argocd/application.yaml (repoURL), then: kubectl apply -f argocd/application.yaml`,
    '',
  ].join('\n'));
  return EXIT_OK;
}

/** `path` as one POSIX shell word: bare when it holds only safe characters, else in single quotes. */
function shellQuote(p: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

function listTemplates(dir: string, prefix = ''): string[] {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listTemplates(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)]))
    .sort();
}

/**
 * npm leaves `.gitignore` out of package tarballs, so templates spell a leading dot as `dot-`
 * (`dot-gitignore`, `dot-github/workflows/…`).
 */
function dotted(rel: string): string {
  return rel.split(/[\\/]/).map((s) => s.replace(/^dot-/, '.')).join('/');
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    // ENOTDIR: a parent is a file; writing will fail and report it.
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  }
}

/** The folders from `dir` upward that do not exist yet, outermost first. */
function missingDirs(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) out.unshift(d);
  return out;
}

/** A folder name as a DNS-1123 label: lowercase, `[a-z0-9-]`, at most 63 characters. */
function dnsLabel(name: string): string {
  const label = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return label || 'mesh';
}
