/**
 * `MAGLEV` (Envoy `source/extensions/load_balancing_policies/maglev/maglev_lb.cc`, the original
 * table): hosts sorted by `ip:port`; each gets offset XXH64(key) mod M and skip
 * (XXH64(key, seed 1) mod (M − 1)) + 1 and claims slots (offset + skip × next) mod M in turns, a host
 * of normalised weight w taking a turn every max-weight/w rounds, until the M slots (`table_size`,
 * default 65537, prime) are full. A hash picks slot `hash mod M`; retry attempt n first XORs the
 * hash with 2^64 − n. Priorities, panic and retries as {@link HashingLoadBalancer}.
 */
import type { Cluster_MaglevLbConfig } from '../../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ConfigError } from '../../config/config-error.js';
import type { RandomSource } from '../_common.js';
import { HashingLoadBalancer, type HashTable } from './hashing.js';
import type { Host, HostSet } from './host-set.js';
import { xxHash64 } from './xxhash.js';

export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;
const MASK64 = (1n << 64n) - 1n;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/** `maglev_lb_config.table_size`; throws {@link ConfigError} unless it is a prime (Envoy refuses the cluster). */
export function maglevTableSize(cfg: Cluster_MaglevLbConfig | undefined): number {
  const m = cfg?.tableSize !== undefined ? Number(cfg.tableSize) : DEFAULT_MAGLEV_TABLE_SIZE;
  if (!isPrime(m) || m > 5_000_011) throw new ConfigError('maglev_lb_config.table_size', `${m} is not a prime number up to 5000011; Maglev needs a prime table size (default 65537)`);
  return m;
}

/** A built Maglev table. */
export class MaglevTable implements HashTable {
  readonly slots: (Host | undefined)[];

  constructor(hosts: readonly Host[], readonly size: number) {
    this.slots = new Array<Host | undefined>(size);
    const total = hosts.reduce((a, h) => a + h.weight, 0);
    if (hosts.length === 0 || total <= 0) { this.slots = []; return; }
    const entries = [...hosts].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((h) => ({
      host: h, weight: h.weight / total, target: 0, next: 0,
      offset: Number(xxHash64(h.key) % BigInt(size)), skip: Number(xxHash64(h.key, 1n) % BigInt(size - 1)) + 1,
    }));
    const maxW = Math.max(...entries.map((e) => e.weight));
    let filled = 0;
    for (let iteration = 1; filled < size; iteration++) {
      for (let i = 0; i < entries.length && filled < size; i++) {
        const e = entries[i]!;
        if (iteration * e.weight < e.target) continue;
        e.target += maxW;
        let c = (e.offset + e.skip * e.next) % size;
        while (this.slots[c] !== undefined) { e.next++; c = (e.offset + e.skip * e.next) % size; }
        this.slots[c] = e.host;
        e.next++;
        filled++;
      }
    }
  }

  choose(hash: bigint, attempt: number): Host | undefined {
    if (this.slots.length === 0) return undefined;
    const h = attempt > 0 ? hash ^ ((MASK64 - BigInt(attempt) + 1n) & MASK64) : hash;
    return this.slots[Number(h % BigInt(this.size))];
  }
}

export class MaglevLoadBalancer extends HashingLoadBalancer {
  private readonly size: number;

  constructor(set: HostSet, random: RandomSource, cfg?: Cluster_MaglevLbConfig) {
    super(set, random);
    this.size = maglevTableSize(cfg);
  }

  protected build(hosts: readonly Host[]): MaglevTable {
    return new MaglevTable(hosts, this.size);
  }
}
