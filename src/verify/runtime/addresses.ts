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
