/**
 * The verify process's side of one workload running as a child process in its own network
 * namespace (`workload-host.ts`, spawned through `ip netns exec`). The child's echo backends
 * report every request over IPC; the parent records them in ledgers (`EchoBackend`s that are
 * never started: the same `attempts` / `shadows` counters the judges read from
 * in-process backends).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EchoBackend } from './echo.js';
import type { NetnsHost, NetnsNetwork } from './netns.js';
import type { Closable } from './registry.js';
import type { HostMessage, HostStart } from './workload-host.js';

/**
 * Where the `workload-host` module is, for the module URL this code runs from: next to
 * `remote-workload.ts` (sources, tsx) or `remote-workload.js` (lib/src); from the CLI bundle, whose
 * `import.meta.url` is the bundle's own file (scripts/build-bundle.mjs defines it so,
 * `lib/bundle/meshproof.cjs`), the compiled one in `lib/src/verify/runtime/`, as the bundle's
 * outside imports resolve `../src/…`. Without a URL: `lib/src` next to the running script's `bin/`.
 */
export function hostEntryFor(moduleUrl: string | undefined, argv1: string | undefined): string {
  if (typeof moduleUrl !== 'string') return join(dirname(argv1 ?? '.'), '..', 'lib', 'src', 'verify', 'runtime', 'workload-host.js');
  const here = fileURLToPath(moduleUrl);
  if (/remote-workload\.ts$/.test(here)) return join(dirname(here), 'workload-host.ts');
  if (/remote-workload\.js$/.test(here)) return join(dirname(here), 'workload-host.js');
  return join(dirname(here), '..', 'src', 'verify', 'runtime', 'workload-host.js');
}

/**
 * The command that runs `workload-host` with this Node and its loader flags (`--import tsx` when
 * verify itself runs from the TypeScript sources), the module found by {@link hostEntryFor}.
 */
export function hostCommand(): string[] {
  const entry = hostEntryFor(typeof import.meta.url === 'string' ? import.meta.url : undefined, process.argv[1]);
  if (!existsSync(entry)) throw new Error(`cannot find the workload host module at ${entry}; reinstall meshproof (npm run build)`);
  return [process.execPath, ...process.execArgv, entry];
}

export interface RemoteWorkloadOptions {
  readonly network: NetnsNetwork;
  readonly host: NetnsHost;
  /** `namespace/name`, for messages. */
  readonly label: string;
  readonly start: Omit<HostStart, 'type'>;
  /** One ledger per port in `start.ports`, same order. */
  readonly ledgers: readonly EchoBackend[];
  /** How long the child may take to report ready (it loads the proxy: seconds on a busy machine). @default 90 000 ms */
  readonly readyTimeoutMs?: number;
}

export class RemoteWorkload implements Closable {
  readonly name: string;
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(private readonly child: ChildProcess, label: string, host: NetnsHost) {
    this.name = `workload ${label} in netns ${host.namespace} (${host.address}, pid ${child.pid ?? '?'})`;
    this.exit = new Promise((resolve) => child.once('exit', () => { this.exited = true; resolve(); }));
  }

  /**
   * Spawns the workload in its namespace and waits until its backends listen and its proxy is
   * ready. `register` is called with the handle as soon as the child exists, so it is stopped even
   * when it never becomes ready.
   * @throws Error with the child's reason (or its last stderr lines when it died)
   */
  static async start(o: RemoteWorkloadOptions, register: (w: RemoteWorkload) => void): Promise<RemoteWorkload> {
    const [cmd, ...args] = o.network.exec(o.host, hostCommand());
    const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], cwd: dirname(hostCommand().at(-1)!) });
    const w = new RemoteWorkload(child, o.label, o.host);
    register(w);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const byPort = new Map(o.start.ports.map((p, i) => [p, o.ledgers[i]!]));
    child.on('message', (raw: unknown) => {
      const m = raw as HostMessage;
      if (m.type !== 'hit') return;
      const ledger = byPort.get(m.port);
      if (!ledger) return;
      const counter = m.shadow ? ledger.shadows : ledger.attempts;
      if (m.id !== '') counter.set(m.id, (counter.get(m.id) ?? 0) + 1);
    });
    const timeoutMs = o.readyTimeoutMs ?? 90_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${w.name} did not start within ${timeoutMs} ms`)), timeoutMs);
      const done = (e?: Error) => { clearTimeout(timer); child.off('message', onMessage); child.off('exit', onExit); child.off('error', onError); if (e) reject(e); else resolve(); };
      const onMessage = (raw: unknown) => {
        const m = raw as HostMessage;
        if (m.type === 'ready') done();
        else if (m.type === 'error') done(new Error(`${w.name}: ${m.message}`));
      };
      const onExit = (code: number | null, signal: string | null) => done(new Error(`${w.name} exited (${signal ?? `code ${code}`}) before it was ready: ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}`));
      const onError = (e: Error) => done(new Error(`${w.name}: cannot spawn ${cmd} (${e.message})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.once('error', onError);
      child.send({ type: 'start', ...o.start } satisfies HostStart);
    });
    return w;
  }

  /** Asks the child to stop; kills it when it has not exited after `graceMs`. */
  async close(graceMs = 1500): Promise<void> {
    if (this.exited) return;
    if (this.child.connected) this.child.send({ type: 'stop' });
    else this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exit, new Promise<void>((r) => { timer = setTimeout(r, graceMs); })]);
    clearTimeout(timer);
    if (!this.exited) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
  }

  /** Synchronous last resort at process exit. */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
