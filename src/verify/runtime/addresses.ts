import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Closable } from './registry.js';
import { processAlive } from '../../process-alive.js';

/**
 * Loopback addresses for the runtime: each workload and each proxy gets its own `127.x.y.z` (Linux
 * routes all of 127.0.0.0/8 to the loopback interface), so every one can bind the ports its
 * manifests name without colliding. `base` picks the second octet (default 77, away from 127.0.0.1).
 */
export class LoopbackAllocator {
  private next = 1;
  constructor(private readonly base = 77) {}

  /** The next free address, `127.<base>.<hi>.<lo>`. */
  allocate(): string {
    const n = this.next++;
    if (n > 254 * 256) throw new Error(`out of loopback addresses (${254 * 256} per run)`);
    return `127.${this.base}.${Math.floor((n - 1) / 254)}.${((n - 1) % 254) + 1}`;
  }
}

/** Where verify runs on this machine record the loopback addresses they hold: one `<address>.lock` each, holding the owner's pid. */
export const ADDRESS_LOCK_DIR = join(tmpdir(), 'meshproof-addresses');

/** What holds an address's lock until the run ends: the run's `ProcessRegistry`. */
export interface AddressLeases {
  add<T extends Closable>(c: T): T;
}

/**
 * Takes `address`'s lock file, or returns undefined when a running process (this one included: a
 * concurrent run in it) holds it. A lock whose pid is gone is taken over (two runs taking over the
 * same stale lock in the same instant could both hold it: that needs a run killed with SIGKILL and
 * two new ones starting together, and costs an EADDRINUSE, as before locks). Without a usable lock
 * folder (another user's, read-only) every address counts as unlocked and only the bind probe guards.
 */
function lock(address: string): (() => void) | undefined {
  const file = join(ADDRESS_LOCK_DIR, `${address}.lock`);
  try {
    mkdirSync(ADDRESS_LOCK_DIR, { recursive: true });
    try { chmodSync(ADDRESS_LOCK_DIR, 0o1777); } catch { /* another user's folder: theirs to set */ }
  } catch {
    return () => {};
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        try { unlinkSync(file); } catch { /* already gone */ }
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? () => {} : undefined;
      let owner = NaN;
      let age = 0;
      try {
        owner = Number(readFileSync(file, 'utf8'));
        age = Date.now() - statSync(file).mtimeMs;
      } catch {
        continue; // released meanwhile: try again
      }
      // A lock being written has no pid yet; one left empty for long lost its owner mid-write.
      const valid = Number.isInteger(owner) && owner > 0;
      if (valid ? processAlive(owner) : age < 10_000) return undefined;
      try { unlinkSync(file); } catch { /* another run took it over first */ }
    }
  }
  return undefined;
}

/** Whether `host:port` can be bound right now (bound exclusively, then released). */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * The next address of `allocator` where every one of `ports` can be bound, held for this run:
 * another verify run on the same machine (a second terminal, a parallel CI job) may want the same
 * `127.x.y.z` addresses. A bind probe alone cannot keep them apart (both runs probe before either
 * proxy binds, which happens later over xDS), so each address is first locked with a file in
 * {@link ADDRESS_LOCK_DIR} that `leases` releases when the run ends (also on SIGINT, SIGTERM and
 * exit). Skips at most `tries` addresses locked or taken.
 * @throws Error naming the last address and port found taken
 */
export async function allocateFree(allocator: LoopbackAllocator, ports: readonly number[], leases: AddressLeases, tries = 64): Promise<string> {
  let taken = '';
  for (let i = 0; i < tries; i++) {
    const address = allocator.allocate();
    const release = lock(address);
    if (!release) {
      taken = `${address} (locked by another verify run)`;
      continue;
    }
    let free = true;
    for (const port of ports) {
      if (!(await bindable(address, port))) {
        free = false;
        taken = `${address}:${port}`;
        break;
      }
    }
    if (free) {
      try {
        leases.add({ name: `address lock ${address}`, close: async () => release(), killNow: release });
      } catch (e) {
        // The run is shutting down (Ctrl-C during start-up): nothing would release the lock later.
        release();
        throw e;
      }
      return address;
    }
    release();
  }
  throw new Error(`${tries} loopback address${tries === 1 ? '' : 'es'} tried, each with a port taken (last ${taken}): other processes hold them; stop them or run verify again later`);
}
