/**
 * Process plumbing for `bench/proxy`: the Debian tools it needs, free loopback ports, children
 * pinned to a core with `taskset`, CPU time from `/proc/<pid>/stat`, and a registry that stops
 * every child on exit, on error and on Ctrl-C.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as net from 'node:net';

/** Installs the Debian packages whose binaries are missing (`apt-get`, root only). */
export function ensureTools(tools: readonly { bin: string; pkg: string }[]): void {
  const onPath = (bin: string) => { try { execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }); return true; } catch { return false; } };
  const missing = tools.filter((t) => !onPath(t.bin));
  if (missing.length === 0) return;
  const pkgs = missing.map((t) => t.pkg);
  if (process.getuid?.() !== 0) {
    throw new Error(`bench/proxy needs ${missing.map((t) => t.bin).join(', ')} (not on PATH); install them as root: apt-get install -y ${pkgs.join(' ')}`);
  }
  process.stderr.write(`installing ${pkgs.join(', ')} with apt-get…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
  } catch {
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
  }
  const still = missing.filter((t) => !onPath(t.bin));
  if (still.length > 0) throw new Error(`apt-get installed ${pkgs.join(' ')} but ${still.map((t) => t.bin).join(', ')} is still not on PATH`);
}

function canBind(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** A port the kernel reports free on every one of `hosts` (asked on the first, checked on the rest). */
export async function freePort(hosts: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await canBind(hosts[0]!, 0);
    if (port === undefined) throw new Error(`cannot bind any port on ${hosts[0]}`);
    let ok = true;
    for (const h of hosts.slice(1)) if ((await canBind(h, port)) === undefined) ok = false;
    if (ok) return port;
  }
  throw new Error(`no port free on all of ${hosts.join(', ')} after 20 attempts`);
}

/** utime + stime of one process (all its threads), in clock ticks. */
function ticks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Child pids (from `/proc/<pid>/task/*\/children`). */
function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of execFileSync('ls', [`/proc/${pid}/task`], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      const file = `/proc/${pid}/task/${tid}/children`;
      if (existsSync(file)) out.push(...readFileSync(file, 'utf8').split(' ').filter(Boolean).map(Number));
    }
  } catch { /* process gone */ }
  return out;
}

/** Clock ticks per second (`getconf CLK_TCK`, normally 100). */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds used so far by `pid` and its direct children (nginx: master + workers). */
export function cpuSeconds(pid: number): number {
  let t = ticks(pid);
  for (const c of children(pid)) { try { t += ticks(c); } catch { /* exited */ } }
  return t / CLK_TCK;
}

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Last lines of stderr/stdout, for error messages. */
  tail(): string;
}

/** Every child this run starts; `stopAll` ends them (SIGTERM, then SIGKILL after 3 s). */
export class Registry {
  private readonly live = new Set<Child>();

  /** Starts `cmd args` pinned to `core` (taskset) and registers it. */
  start(name: string, core: number, cmd: string, args: readonly string[], opts: { cwd?: string } = {}): Child {
    const proc = spawn('taskset', ['-c', String(core), cmd, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (b: Buffer) => { out = (out + b.toString()).slice(-2000); };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    if (proc.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
    const child: Child = { name, proc, pid: proc.pid, tail: () => out.trim().split('\n').slice(-5).join(' | ') };
    this.live.add(child);
    proc.once('exit', () => this.live.delete(child));
    return child;
  }

  async stop(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) { this.live.delete(child); return; }
    const exited = new Promise<void>((r) => child.proc.once('exit', () => r()));
    child.proc.kill(signal);
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((c) => this.stop(c)));
  }
}
