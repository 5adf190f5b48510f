/**
 * Test helpers for the external runtime: `meshproof` subcommands as child processes (from the
 * sources, `scripts/dev-cli.ts`), wired on loopback the way the cluster wires them, and a mesh CA
 * made with openssl (as the e2e-kind workflow makes it).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Cli {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `re` in the output; rejects when the process exits first or after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

/** Starts `meshproof <args>` from the sources. */
export function startCli(name: string, args: readonly string[]): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev-cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c.toString('utf8');
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.on('exit', () => { for (const w of [...waiters]) w(); });
  return {
    name, child, output: () => out,
    waitFor: (re, ms = 20_000) => new Promise((res, rej) => {
      const timer = setTimeout(() => { waiters.delete(check); rej(new Error(`${name}: no ${re} within ${ms} ms; output:\n${out}`)); }, ms);
      const check = () => {
        const m = re.exec(out);
        if (m) { clearTimeout(timer); waiters.delete(check); res(m); return; }
        if (child.exitCode !== null || child.signalCode !== null) { clearTimeout(timer); waiters.delete(check); rej(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before ${re}; output:\n${out}`)); }
      };
      waiters.add(check);
      check();
    }),
  };
}

/** SIGTERM to each, SIGKILL after 3 s; resolves when all have exited. */
export async function stopAll(clis: readonly Cli[]): Promise<void> {
  await Promise.all(clis.map((c) => new Promise<void>((res) => {
    if (c.child.exitCode !== null || c.child.signalCode !== null) return res();
    const kill = setTimeout(() => c.child.kill('SIGKILL'), 3000);
    c.child.once('exit', () => { clearTimeout(kill); res(); });
    c.child.kill('SIGTERM');
  })));
}

/** A self-signed EC P-256 mesh root in a temp folder, valid for `days`: `{ cert, key }` paths. */
export function makeCa(dir = mkdtempSync(join(tmpdir(), 'meshproof-ca-')), days = 30): { cert: string; key: string } {
  const cert = join(dir, 'ca-cert.pem');
  const key = join(dir, 'ca-key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', String(days),
    '-subj', '/O=meshproof/CN=meshproof test root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'ignore' });
  return { cert, key };
}

/** A loopback block of our own for one test run: `127.<a>.<b>.x`, random so parallel runs do not meet. */
export function loopbackBlock(): (host: number) => string {
  const a = 100 + Math.floor(Math.random() * 100);
  const b = Math.floor(Math.random() * 250);
  return (host) => `127.${a}.${b}.${host}`;
}

export function writeJson(file: string, value: unknown): string {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}
