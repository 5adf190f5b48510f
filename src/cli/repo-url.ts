/**
 * `init --repo-url`: the Git repository URL written into the Argo CD Application's
 * `spec.source.repoURL`. Argo CD clones it with git, so only the forms its repository credentials
 * and `git` understand are accepted: `https://host/path`, `http://host/path`, `ssh://[user@]host[:port]/path`,
 * and the scp-like `user@host:path` (`git@github.com:org/repo.git`).
 */

/** user@host:path, as git reads it (a path that does not start with `//`, so not a URL). */
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(?:\.[A-Za-z0-9-]+)*:(?!\/\/)[^\s:][^\s]*$/;
const SCHEMES = new Set(['https:', 'http:', 'ssh:']);

/**
 * Why `value` is not a repository URL Argo CD accepts (for the usage error), or undefined when it
 * is one. E.g. `"not a url" is not a Git repository URL Argo CD can clone: …`.
 */
export function repoUrlProblem(value: string): string | undefined {
  const expected = 'expected https://host/org/repo.git, http://…, ssh://git@host/org/repo.git or git@host:org/repo.git';
  if (/\s/.test(value) || value === '') return `--repo-url ${JSON.stringify(value)} is not a Git repository URL Argo CD can clone (it is empty or holds whitespace); ${expected}`;
  if (SCP_LIKE.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `--repo-url ${JSON.stringify(value)} is not a Git repository URL Argo CD can clone; ${expected}`;
  }
  if (!SCHEMES.has(url.protocol)) return `--repo-url ${JSON.stringify(value)} has scheme ${url.protocol.slice(0, -1)}, which Argo CD does not clone from; ${expected}`;
  if (url.hostname === '') return `--repo-url ${JSON.stringify(value)} names no host; ${expected}`;
  if (url.pathname === '' || url.pathname === '/') return `--repo-url ${JSON.stringify(value)} names no repository (no path after the host); ${expected}`;
  return undefined;
}
