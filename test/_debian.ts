/**
 * Tools some tests drive that npm cannot provide (a browser, shellcheck). When one is missing and the
 * test runs as root on Debian (CI, and this project's dev machines), it is installed with apt-get;
 * otherwise the test fails naming the package to install. It never skips: a test that cannot fail
 * proves nothing.
 */
import { spawnSync } from 'node:child_process';

function which(binary: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The path of `binary`, installing the Debian package `pkg` first when it is missing. */
export function ensureDebianTool(binary: string, pkg: string): string {
  const found = which(binary);
  if (found) return found;
  const root = process.getuid?.() === 0;
  if (!root || !which('apt-get')) throw new Error(`${binary} is needed by this test: install the ${pkg} package (e.g. sudo apt-get install ${pkg})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8', env, timeout: 300_000 });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { encoding: 'utf8', env, timeout: 600_000 });
  const after = which(binary);
  if (!after) throw new Error(`${binary} is needed by this test and apt-get install ${pkg} failed: ${(install.stderr || update.stderr || '').trim().slice(-500)}`);
  return after;
}
