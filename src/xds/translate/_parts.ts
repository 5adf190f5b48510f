/**
 * Where the sub-messages that many clusters and load assignments have alike come from (timeouts,
 * circuit breakers, outlier detection, the panic threshold, the plaintext socket match, the ADS
 * config source, an endpoint that both a service's default cluster and its subset cluster list):
 * made afresh for each resource ({@link FRESH_PARTS}), or made once per content and shared by
 * read-only resources ({@link SHARED_PARTS}, the translation cache's: most default clusters differ
 * only in name, EDS service name, SNI and SANs).
 */
export interface ClusterParts {
  /** The part for `key` (its content, spelled out); `make` builds it when it is not shared yet. */
  part<T>(key: string, make: () => T): T;
}

/** Every part made afresh: the resource owns all of its sub-messages (callers may edit them). */
export const FRESH_PARTS: ClusterParts = { part: (_key, make) => make() };

const SHARED = new Map<string, unknown>();

/** Parts shared by content, for resources nobody edits (bounded: cleared past 16,384 distinct parts). */
export const SHARED_PARTS: ClusterParts = {
  part<T>(key: string, make: () => T): T {
    let v = SHARED.get(key) as T | undefined;
    if (v === undefined) {
      if (SHARED.size >= 16_384) SHARED.clear();
      SHARED.set(key, (v = make()));
    }
    return v;
  },
};
