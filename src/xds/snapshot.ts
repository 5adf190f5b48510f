/**
 * A snapshot: every xDS resource one node (proxy) should hold, plain, immutable and versioned by
 * content. The middle of go-control-plane's layering (resources ← snapshot cache ← gRPC server): the
 * server only reads snapshots and knows nothing about how they are built.
 */
import { createHash } from 'node:crypto';
import type { Any } from '@bufbuild/protobuf/wkt';
import { isReusableList, packOnce } from './pack-cache.js';
import { type ResourceKind, type ResourceSet, type XdsResource, PUSH_ORDER, resourceName } from './resources.js';

/** One resource type inside a snapshot. */
export interface TypeSnapshot {
  /** Content hash of this type's resources (names and encoded bytes): `DiscoveryResponse.version_info`. */
  readonly version: string;
  /** Resources by xDS name, packed once when the snapshot is made. */
  readonly resources: ReadonlyMap<string, Any>;
}

/** Thrown by {@link createSnapshot} when the resource set cannot be keyed by name. Stable `code`. */
export class SnapshotError extends Error {
  constructor(readonly code: 'XDS_DUPLICATE_NAME' | 'XDS_EMPTY_NAME', message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

/**
 * Immutable (what is served is packed once), content-versioned set of resources for one node. Two snapshots with the same resources
 * have the same versions, so publishing an unchanged snapshot pushes nothing.
 */
export interface Snapshot {
  /** Hash over the four type versions: changes when any resource changes. */
  readonly version: string;
  /** Per type, in the order of {@link PUSH_ORDER}. */
  readonly types: Readonly<Record<ResourceKind, TypeSnapshot>>;
  /** The typed messages the snapshot was made from (lists frozen; treat the messages as read-only), for the consistency check and dumps. */
  readonly resources: Required<ResourceSet>;
}

const LIST_KEY: Record<ResourceKind, keyof ResourceSet> = { cluster: 'clusters', endpoint: 'endpoints', secret: 'secrets', listener: 'listeners', route: 'routes' };
const NAME_FIELD: Record<ResourceKind, string> = { cluster: 'Cluster.name', endpoint: 'ClusterLoadAssignment.cluster_name', secret: 'Secret.name', listener: 'Listener.name', route: 'RouteConfiguration.name' };

/**
 * Packs, hashes and freezes a resource set. A resource the translation cache shares (see
 * `pack-cache.ts`) is packed and framed the first time and reused after that. Throws {@link SnapshotError} on an empty or duplicate name
 * within one type (`XDS_EMPTY_NAME`, `XDS_DUPLICATE_NAME`). Cross-resource references are checked
 * separately by `checkSnapshot` before the cache publishes it.
 */
export function createSnapshot(set: ResourceSet): Snapshot {
  const types = {} as Record<ResourceKind, TypeSnapshot>;
  for (const kind of PUSH_ORDER) {
    const list = (set[LIST_KEY[kind]] ?? []) as readonly XdsResource[];
    // A shared list of the translation cache (`markReusableList`): its type snapshot is made once.
    const shared = isReusableList(list) ? TYPES.get(list) : undefined;
    if (shared && shared.kind === kind) {
      types[kind] = shared.type;
      continue;
    }
    const resources = new Map<string, Any>();
    const framed = new Map<string, Buffer>();
    list.forEach((r, i) => {
      const name = resourceName(kind, r);
      if (!name) throw new SnapshotError('XDS_EMPTY_NAME', `${LIST_KEY[kind]}[${i}]: ${NAME_FIELD[kind]} is empty; every xDS resource needs a unique name`);
      if (resources.has(name)) throw new SnapshotError('XDS_DUPLICATE_NAME', `${LIST_KEY[kind]}[${i}]: ${NAME_FIELD[kind]} "${name}" appears twice; names must be unique per type`);
      const packed = packOnce(kind, r);
      resources.set(name, packed.any);
      framed.set(name, packed.framed);
    });
    types[kind] = Object.freeze({ version: hashType(framed), resources });
    if (isReusableList(list)) TYPES.set(list, { kind, type: types[kind] });
  }
  const version = createHash('sha256').update(PUSH_ORDER.map((k) => types[k].version).join('/')).digest('hex').slice(0, 16);
  // Lists and messages are frozen, nested fields are not (deep-freezing thousands of messages cost
  // more than translating them). What is served is the packed bytes above, which nothing can change;
  // the messages are for the consistency check and dumps, and must be treated as read-only.
  const frozen = <T extends XdsResource>(list: readonly T[]) => (isReusableList(list) ? list : Object.freeze(list.map((m) => Object.freeze(m))));
  const resources = Object.freeze({
    clusters: frozen(set.clusters), endpoints: frozen(set.endpoints), listeners: frozen(set.listeners),
    routes: frozen(set.routes), secrets: frozen(set.secrets ?? []),
  });
  return Object.freeze({ version, types: Object.freeze(types), resources });
}

/** Empty snapshot: a node that should hold nothing. */
export function emptySnapshot(): Snapshot {
  return createSnapshot({ clusters: [], endpoints: [], listeners: [], routes: [] });
}

// Hashes each resource's `google.protobuf.Any` encoding in name order, `<name> NUL <Any bytes> NUL`,
// from the framing packOnce keeps with the packed resource (remembered for the translation cache's
// shared resources), so a reused resource is neither encoded nor framed again. One hash over the
// whole type: the same bytes as ever, so versions are unchanged.
function hashType(framed: ReadonlyMap<string, Buffer>): string {
  const frames = sortedKeys(framed).map((name) => framed.get(name)!);
  if (frames.length === 0) return EMPTY_VERSION;
  // The Nth sidecar of a namespace often has the very same framed resources (by identity) as the
  // first for a whole type (load assignments, route configurations): reuse that version.
  const known = VERSIONS.get(frames[0]!);
  if (known && known.frames.length === frames.length && known.frames.every((f, i) => f === frames[i])) return known.version;
  const h = createHash('sha256');
  for (const f of frames) h.update(f);
  const version = h.digest('hex').slice(0, 16);
  VERSIONS.set(frames[0]!, { frames, version });
  return version;
}

const EMPTY_VERSION = createHash('sha256').digest('hex').slice(0, 16);

/** The type snapshot of each shared list (`markReusableList`), with the kind it was packed as. */
const TYPES = new WeakMap<readonly XdsResource[], { readonly kind: ResourceKind; readonly type: TypeSnapshot }>();

/** The last type version computed per first framed resource (frames are never changed; entries go with them). */
const VERSIONS = new WeakMap<Buffer, { frames: readonly Buffer[]; version: string }>();

/** The keys in code-unit order; translated lists usually arrive sorted, which is checked first. */
function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  const keys = [...map.keys()];
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort();
  return keys;
}
