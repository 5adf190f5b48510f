import { createServer } from 'node:net';

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

/** Whether `host:port` can be bound right now (bound exclusively, then released). */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * The next address of `allocator` where every one of `ports` can be bound: another verify run on
 * the same machine (a second terminal, a parallel CI job) may hold the same `127.x.y.z` addresses.
 * Skips at most `tries` taken addresses.
 * @throws Error naming the last address and port found taken
 */
export async function allocateFree(allocator: LoopbackAllocator, ports: readonly number[], tries = 64): Promise<string> {
  let taken = '';
  for (let i = 0; i < tries; i++) {
    const address = allocator.allocate();
    let free = true;
    for (const port of ports) {
      if (!(await bindable(address, port))) {
        free = false;
        taken = `${address}:${port}`;
        break;
      }
    }
    if (free) return address;
  }
  throw new Error(`${tries} loopback address${tries === 1 ? '' : 'es'} tried, each with a port taken (last ${taken}): other processes hold them; stop them or run verify again later`);
}
