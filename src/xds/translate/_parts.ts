/**
 * Where the sub-messages that many clusters and load assignments have alike come from (timeouts,
 * circuit breakers, outlier detection, the panic threshold, the plaintext socket match, the ADS
 * config source, an endpoint that both a service's default cluster and its subset cluster list):
 * made afresh for each resource ({@link FRESH_PARTS}), or made once per content and shared by
 * read-only resources ({@link SHARED_PARTS}, the translation cache's: most default clusters differ
 * only in name, EDS service name, SNI and SANs).
 */
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { preencode } from '../encode.js';

export interface ClusterParts {
  /** The part for `key` (its content, spelled out), a `schema` message; `make` builds it when it is not shared yet. */
  part<D extends DescMessage>(key: string, schema: D, make: () => MessageShape<D>): MessageShape<D>;
}

/** Every part made afresh: the resource owns all of its sub-messages (callers may edit them). */
export const FRESH_PARTS: ClusterParts = { part: (_key, _schema, make) => make() };

const SHARED = new Map<string, unknown>();

/**
 * Parts shared by content, for resources nobody edits (bounded: cleared past 16,384 distinct
 * parts). A shared part is encoded once (`preencode`): every resource holding it copies its bytes.
 */
export const SHARED_PARTS: ClusterParts = {
  part<D extends DescMessage>(key: string, schema: D, make: () => MessageShape<D>): MessageShape<D> {
    let v = SHARED.get(key) as MessageShape<D> | undefined;
    if (v === undefined) {
      if (SHARED.size >= 16_384) SHARED.clear();
      SHARED.set(key, (v = preencode(schema, make())));
    }
    return v;
  },
};
