/**
 * Network namespaces for `meshproof verify --netns` (Linux, root, iproute2's `ip`): one namespace
 * per workload, each joined to a Linux bridge in the verify process's namespace by a veth pair, with
 * an address from a private /24 (`10.213.<run>.0/24`; the bridge is `.1`, the gateway of every
 * namespace). Workloads then bind their pod address and 127.0.0.1 inside their own namespace, as
 * pods do, and reach each other and the ADS server (on the bridge address) through the bridge.
 *
 * Everything is named `mp<pid>…` (namespaces `mp<pid>-<n>`, the bridge `mp<pid>br`, veths
 * `mp<pid>v<n>`), so that teardown removes exactly what this process made: on `close()`, at process
 * exit (synchronously), and on SIGINT/SIGTERM through the registry. A later run sweeps what a
 * killed run (SIGKILL) left behind: names whose pid is no longer alive.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { Closable } from './registry.js';

const run = promisify(execFile);
/** First letters of every namespace and link a run makes: `mp<pid>…`. */
const PREFIX = 'mp';

/** Why `--netns` cannot run here, or null when it can (root, `ip`, and a probe namespace could be made and removed). */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `--netns needs Linux network namespaces; this is ${process.platform}`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return '--netns needs root (it creates network namespaces, a bridge and veth pairs); run as root, or drop --netns to use loopback addresses';
  // A probe namespace, made and removed: root in a container without CAP_SYS_ADMIN cannot.
  const probe = `${PREFIX}${process.pid}-probe`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
    execFileSync('ip', ['netns', 'del', probe], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    return err.code === 'ENOENT'
      ? '--netns needs the `ip` command (iproute2), which is not on PATH; install iproute2, or drop --netns'
      : `--netns cannot make a network namespace here (\`ip netns add\`: ${String(err.stderr ?? err.message).trim()}); a container needs CAP_SYS_ADMIN and CAP_NET_ADMIN; drop --netns to use loopback addresses`;
  }
  return null;
}

/** One workload's namespace: its name and its address on the bridge. */
export interface NetnsHost {
  readonly namespace: string;
  readonly address: string;
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args, { timeout: 10_000 });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`ip ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** What `ip link del` says when the device is already gone (a veth whose namespace was never made, or was deleted). */
const GONE = /Cannot find device|does not exist/;

/** Namespaces and links left by runs whose process is gone (SIGKILL), by our naming scheme. */
function staleNames(): { namespaces: string[]; links: string[] } {
  const dead = (name: string) => {
    const m = new RegExp(`^${PREFIX}(\\d+)(-|br|v)`).exec(name);
    return m !== null && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]));
  };
  const list = (args: string[]) => {
    try {
      return execFileSync('ip', args, { encoding: 'utf8', timeout: 5000 });
    } catch {
      return '';
    }
  };
  const namespaces = list(['netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n && dead(n));
  const links = list(['-o', 'link', 'show']).split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '').filter((n) => n && dead(n));
  return { namespaces, links };
}

/**
 * The bridge and the namespaces of one run. `create()` sets up the bridge; `addHost()` adds a
 * namespace per workload. Register it with the run's `ProcessRegistry` first thing, so that it is
 * torn down after every child process in it has stopped.
 */
export class NetnsNetwork implements Closable {
  readonly name: string;
  /** The bridge's address: where the ADS server listens for proxies in namespaces. */
  readonly gateway: string;
  private readonly bridge: string;
  private readonly namespaces: string[] = [];
  /** The host-side veth of each namespace (`mp<pid>v<n>`), deleted before the namespaces (see close). */
  private readonly veths: string[] = [];
  private next = 2;
  private closed = false;

  private constructor(private readonly subnet: string) {
    this.bridge = `${PREFIX}${process.pid}br`;
    this.gateway = `${subnet}.1`;
    this.name = `network namespaces ${subnet}.0/24 (bridge ${this.bridge})`;
  }

  /**
   * Sweeps what killed runs left, then makes the bridge. The /24 is the first free one from the
   * pid's, so concurrent runs on one machine do not share a subnet.
   * @throws Error naming the `ip` command that failed (the bridge is removed again)
   */
  static async create(): Promise<NetnsNetwork> {
    const stale = staleNames();
    for (const n of stale.namespaces) await ip('netns', 'del', n).catch(() => undefined);
    for (const l of stale.links) await ip('link', 'del', l).catch(() => undefined);
    // Start from the pid's /24 and skip any a concurrent run's bridge already holds.
    const used = new Set([...execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8', timeout: 5000 }).matchAll(/inet 10\.213\.(\d+)\./g)].map((m) => Number(m[1])));
    const third = Array.from({ length: 250 }, (_, i) => ((process.pid + i) % 250) + 1).find((n) => !used.has(n));
    if (third === undefined) throw new Error('every 10.213.<n>.0/24 is taken by other runs\' bridges; remove stale ones (ip link show | grep mp)');
    const net = new NetnsNetwork(`10.213.${third}`);
    try {
      await ip('link', 'add', net.bridge, 'type', 'bridge');
      await ip('addr', 'add', `${net.gateway}/24`, 'dev', net.bridge);
      await ip('link', 'set', net.bridge, 'up');
    } catch (e) {
      net.killNow();
      throw e;
    }
    return net;
  }

  /**
   * A new namespace for `label` (messages only) with loopback up and a veth into the bridge.
   * @throws Error naming the failing `ip` command (the namespace is removed again)
   */
  async addHost(label: string): Promise<NetnsHost> {
    if (this.closed) throw new Error(`cannot add a namespace for ${label}: the network is torn down`);
    const n = this.next++;
    if (n > 254) throw new Error(`out of addresses in ${this.subnet}.0/24 for ${label} (253 namespaces per run)`);
    const namespace = `${PREFIX}${process.pid}-${n}`;
    const outside = `${PREFIX}${process.pid}v${n}`;
    const address = `${this.subnet}.${n}`;
    this.namespaces.push(namespace);
    this.veths.push(outside);
    try {
      await ip('netns', 'add', namespace);
      await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
      await ip('link', 'set', outside, 'master', this.bridge, 'up');
      await ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      await ip('-n', namespace, 'link', 'set', 'eth0', 'up');
      await ip('-n', namespace, 'link', 'set', 'lo', 'up');
      await ip('-n', namespace, 'route', 'add', 'default', 'via', this.gateway);
    } catch (e) {
      throw new Error(`could not set up the network namespace of ${label}: ${(e as Error).message}`);
    }
    return { namespace, address };
  }

  /** The argv that runs `argv` inside `host`'s namespace. */
  exec(host: NetnsHost, argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', host.namespace, ...argv];
  }

  /**
   * Deletes every host-side veth, every namespace and the bridge. Errors name what is left. The veths go first: deleting
   * one removes its pair at once, while a deleted namespace's veths are destroyed later by the kernel's netns cleanup,
   * which on a busy machine can leave `mp<pid>v<n>` in the host's links after close returned.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: string[] = [];
    // In parallel: the registry gives each close a deadline, and a busy machine makes every `ip` slow.
    await Promise.all(this.veths.splice(0).map((l) => ip('link', 'del', l).catch((e: Error) => { if (!GONE.test(e.message)) errors.push(e.message); })));
    await Promise.all(this.namespaces.splice(0).map((ns) => ip('netns', 'del', ns).catch((e: Error) => { errors.push(e.message); })));
    await ip('link', 'del', this.bridge).catch((e: Error) => errors.push(e.message));
    if (errors.length > 0) throw new Error(errors.join('; '));
  }

  /** Synchronous teardown for process exit. */
  killNow(): void {
    this.closed = true;
    for (const l of this.veths.splice(0)) {
      try { execFileSync('ip', ['link', 'del', l], { stdio: 'ignore', timeout: 5000 }); } catch { /* already gone */ }
    }
    for (const ns of this.namespaces.splice(0)) {
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 }); } catch { /* already gone */ }
    }
    try { execFileSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore', timeout: 5000 }); } catch { /* already gone */ }
  }
}
