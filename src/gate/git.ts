/**
 * What the gate asks git: which base the pull request is compared with, which lines it touched,
 * and the base's copy of the synthesized tree. Every function reports a missing ref or a failed
 * git call as a reason string (the gate then skips the diff with a note) and never throws.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Runs git in `cwd`; stdout, or an error message naming the command. Output is capped at 64 MiB. */
function git(cwd: string, args: readonly string[], input?: Buffer): { ok: true; out: Buffer } | { ok: false; error: string } {
  const r = spawnSync('git', args, { cwd, maxBuffer: 64 * 1024 * 1024, ...(input ? { input } : {}), env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  if (r.error) return { ok: false, error: `git ${args[0]}: ${r.error.message}` };
  if (r.status !== 0) {
    const why = r.stderr.toString().split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^(please make sure|and the repository exists)/i.test(l)).join('; ');
    return { ok: false, error: `git ${args.join(' ')}: ${why || `exit ${r.status}`}` };
  }
  return { ok: true, out: r.stdout };
}

/**
 * The base to compare with: the `base-ref` input when given, else the pull request's base commit
 * from the event payload (`pull_request.base.sha` in `GITHUB_EVENT_PATH`), else `origin/$GITHUB_BASE_REF`.
 * Null when none is known (a push build): the gate then runs without diff and touched lines.
 */
export function baseRefFrom(env: Readonly<Record<string, string | undefined>>, input: string | undefined): string | null {
  if (input) return input;
  const eventPath = env['GITHUB_EVENT_PATH'];
  if (eventPath) {
    try {
      const event = JSON.parse(fs.readFileSync(eventPath, 'utf8')) as { pull_request?: { base?: { sha?: unknown } } };
      const sha = event.pull_request?.base?.sha;
      if (typeof sha === 'string' && /^[0-9a-f]{7,64}$/i.test(sha)) return sha;
    } catch {
      // An unreadable payload is the same as no payload: fall through to GITHUB_BASE_REF.
    }
  }
  return env['GITHUB_BASE_REF'] ? `origin/${env['GITHUB_BASE_REF']}` : null;
}

/**
 * Resolves `ref` to a commit, fetching it (depth 1) when the checkout is shallow and lacks it, as
 * `actions/checkout` leaves it by default. Returns the commit id or why it cannot be found.
 */
export function resolveCommit(cwd: string, ref: string): { sha: string } | { error: string } {
  if (ref.startsWith('-')) return { error: `base ref "${ref}" is not a ref` };
  const local = git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (local.ok) return { sha: local.out.toString().trim() };
  const remoteName = ref.startsWith('origin/') ? ref.slice('origin/'.length) : ref;
  const fetched = git(cwd, ['fetch', '--no-tags', '--depth=1', 'origin', remoteName]);
  if (fetched.ok) {
    const after = git(cwd, ['rev-parse', '--verify', '--quiet', 'FETCH_HEAD^{commit}']);
    if (after.ok) return { sha: after.out.toString().trim() };
  }
  return { error: `base ref "${ref}" does not exist in this checkout and could not be fetched (${fetched.ok ? 'no commit' : fetched.error}); use actions/checkout with fetch-depth: 0, or set the base-ref input` };
}

/** Lines added or changed on the head side, per repository-relative file (`git diff -U0 base HEAD`). */
export function touchedLines(cwd: string, baseSha: string): Map<string, Set<number>> | { error: string } {
  const r = git(cwd, ['diff', '--no-color', '--no-ext-diff', '--unified=0', '--no-renames', baseSha, 'HEAD']);
  if (!r.ok) return { error: r.error };
  const out = new Map<string, Set<number>>();
  let file: string | null = null;
  for (const line of r.out.toString().split('\n')) {
    if (line.startsWith('+++ ')) {
      file = line === '+++ /dev/null' ? null : line.slice(4).replace(/^b\//, '');
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && file !== null) {
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      const set = out.get(file) ?? new Set<number>();
      for (let i = 0; i < count; i++) set.add(start + i);
      out.set(file, set);
    }
  }
  return out;
}

/**
 * Writes the base commit's copy of `paths` (e.g. `dist`, `.meshproof`) under `dest`, via
 * `git archive | tar -x`. A path absent at the base is simply absent in `dest` (a pull request
 * that adds dist/ compares against nothing).
 */
export function extractTree(cwd: string, sha: string, paths: readonly string[], dest: string): { ok: true } | { error: string } {
  fs.mkdirSync(dest, { recursive: true });
  const present = paths.filter((p) => git(cwd, ['cat-file', '-e', `${sha}:${p.replace(/\/+$/, '')}`]).ok);
  if (present.length === 0) return { ok: true };
  const archive = git(cwd, ['archive', '--format=tar', sha, '--', ...present]);
  if (!archive.ok) return { error: archive.error };
  const tar = spawnSync('tar', ['-x', '-C', dest], { input: archive.out, maxBuffer: 1024 * 1024 });
  if (tar.error || tar.status !== 0) return { error: `tar -x: ${tar.error?.message ?? tar.stderr.toString().trim()}` };
  return { ok: true };
}

/** `dir` relative to the repository root, with forward slashes. */
export function repoRelative(root: string, file: string): string {
  return path.relative(root, path.resolve(root, file)).split(path.sep).join('/');
}
