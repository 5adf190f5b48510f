/**
 * Envoy `ThreadAwareLoadBalancerBase` for consistent-hash balancers (ring hash, Maglev): one table
 * per priority over its healthy hosts (all of them in panic), rebuilt after a health change; a pick
 * hashes into the table of the priority chosen by `hash % 100`, and a retry predicate asks for
 * another entry with `attempt` 1, 2, …. Without a hash key the pick uses a random 64-bit value.
 */
import type { RandomSource } from '../_common.js';
import { isHealthy, type Host, type HostSet, type LbContext, type LoadBalancer } from './host-set.js';

/** A built consistent-hash table. */
export interface HashTable {
  choose(hash: bigint, attempt: number): Host | undefined;
}

/** A uniform random 64-bit value from the injected source (two 32-bit draws). */
export function random64(random: RandomSource): bigint {
  const hi = BigInt(Math.floor(random() * 2 ** 32));
  const lo = BigInt(Math.floor(random() * 2 ** 32));
  return (hi << 32n) | lo;
}

export abstract class HashingLoadBalancer implements LoadBalancer {
  private readonly tables = new Map<number, HashTable>();
  private builtAt = -1;

  constructor(protected readonly set: HostSet, private readonly random: RandomSource) {}

  /** Builds the table over `hosts` (weights as given). */
  protected abstract build(hosts: readonly Host[]): HashTable;

  /** The table of a priority (built lazily, rebuilt after a health change). */
  table(priority: number): HashTable {
    if (this.builtAt !== this.set.version) {
      this.tables.clear();
      this.builtAt = this.set.version;
    }
    let t = this.tables.get(priority);
    if (!t) {
      const all = this.set.byPriority[priority] ?? [];
      t = this.build(this.set.inPanic(priority) ? all : all.filter(isHealthy));
      this.tables.set(priority, t);
    }
    return t;
  }

  chooseHost(ctx?: LbContext): Host | undefined {
    if (this.set.hosts.length === 0) return undefined;
    const h = ctx?.hashKey ?? random64(this.random);
    const table = this.table(this.set.choosePriority(Number(h % 100n), ctx?.priorityLoad?.(this.set)));
    const max = (ctx?.hostSelectionRetryCount ?? 0) + 1;
    let host: Host | undefined;
    for (let attempt = 0; attempt < max; attempt++) {
      host = table.choose(h, attempt);
      if (!host || !ctx?.shouldSelectAnotherHost?.(host)) return host;
    }
    return host;
  }
}
