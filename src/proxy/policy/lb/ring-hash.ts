/**
 * `RING_HASH` (Envoy `source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc`): a
 * ketama ring of XXH64(`address:port_i`) entries per host, sized so the lightest host gets a whole
 * number of entries: scale = min(ceil(minWeight × minimum_ring_size) / minWeight, maximum_ring_size)
 * over weights normalised to sum 1 (defaults 1024 and 8M). A request's hash picks the first entry at
 * or after it (wrapping); a retry with the previous-hosts predicate steps `attempt` entries on.
 * Priorities, panic and retries as {@link HashingLoadBalancer}.
 */
import { ConfigError } from '../../config/config-error.js';
import { Cluster_RingHashLbConfig_HashFunction, type Cluster_RingHashLbConfig } from '../../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { RandomSource } from '../_common.js';
import { HashingLoadBalancer, type HashTable } from './hashing.js';
import type { Host, HostSet } from './host-set.js';
import { xxHash64 } from './xxhash.js';

/** Envoy's ring size bounds. */
export const DEFAULT_MIN_RING_SIZE = 1024;
export const DEFAULT_MAX_RING_SIZE = 8 * 1024 * 1024;

/** A built ring: sorted hashes and the host of each entry. */
export class Ring implements HashTable {
  readonly hashes: BigUint64Array;
  readonly hosts: Host[];

  constructor(hosts: readonly Host[], minSize: number, maxSize: number) {
    const total = hosts.reduce((a, h) => a + h.weight, 0);
    const entries: { hash: bigint; host: Host }[] = [];
    if (hosts.length > 0 && total > 0) {
      const norm = hosts.map((h) => h.weight / total);
      const minW = Math.min(...norm);
      const scale = Math.min(Math.ceil(minW * minSize) / minW, maxSize);
      let current = 0;
      let target = 0;
      hosts.forEach((h, k) => {
        target += scale * norm[k]!;
        for (let i = 0; current < target; i++, current++) entries.push({ hash: xxHash64(`${h.key}_${i}`), host: h });
      });
      entries.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    }
    this.hashes = BigUint64Array.from(entries.map((e) => e.hash));
    this.hosts = entries.map((e) => e.host);
  }

  /** Envoy's ketama lookup: the first entry whose hash is ≥ h (wrapping to 0), then `attempt` entries on. */
  choose(h: bigint, attempt = 0): Host | undefined {
    const n = this.hashes.length;
    if (n === 0) return undefined;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hashes[mid]! < h) lo = mid + 1; else hi = mid;
    }
    const idx = lo === n ? 0 : lo;
    return this.hosts[(idx + attempt) % n];
  }
}

/** Checks a `RingHashLbConfig`; throws {@link ConfigError} for sizes out of order or MURMUR_HASH_2 (not implemented). */
export function ringSizes(cfg: Cluster_RingHashLbConfig | undefined): { min: number; max: number } {
  const min = cfg?.minimumRingSize !== undefined ? Number(cfg.minimumRingSize) : DEFAULT_MIN_RING_SIZE;
  const max = cfg?.maximumRingSize !== undefined ? Number(cfg.maximumRingSize) : DEFAULT_MAX_RING_SIZE;
  if (min > max) throw new ConfigError('ring_hash_lb_config.minimum_ring_size', `${min} is above maximum_ring_size ${max}`);
  if (min > DEFAULT_MAX_RING_SIZE || max > DEFAULT_MAX_RING_SIZE) throw new ConfigError('ring_hash_lb_config', `ring sizes above ${DEFAULT_MAX_RING_SIZE} are not allowed (Envoy: lte 8M)`);
  if (cfg && cfg.hashFunction !== Cluster_RingHashLbConfig_HashFunction.XX_HASH) {
    throw new ConfigError('ring_hash_lb_config.hash_function', 'only XX_HASH is implemented; MURMUR_HASH_2 is not');
  }
  return { min, max };
}

/** Ring hash over a host set. */
export class RingHashLoadBalancer extends HashingLoadBalancer {
  private readonly min: number;
  private readonly max: number;

  constructor(set: HostSet, random: RandomSource, cfg?: Cluster_RingHashLbConfig) {
    super(set, random);
    ({ min: this.min, max: this.max } = ringSizes(cfg));
  }

  /** The ring of a priority. */
  ring(priority: number): Ring {
    return this.table(priority) as Ring;
  }

  protected build(hosts: readonly Host[]): Ring {
    return new Ring(hosts, this.min, this.max);
  }
}
