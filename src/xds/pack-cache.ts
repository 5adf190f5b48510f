/**
 * Packing once: a resource message that the translation cache hands to many snapshots (the Nth
 * sidecar of a namespace gets the same Cluster objects as the first) is encoded into its
 * `google.protobuf.Any` and framed for the version hash only the first time, as istiod's XdsCache
 * keeps marshalled resources (`pilot/pkg/model/typed_xds_cache.go`).
 *
 * Only messages marked with {@link markReusable} are remembered: the translation cache marks what it
 * shares, and those are read-only by contract. Any other message is packed afresh each time, so a
 * caller that builds a resource, snapshots it, changes a nested field and snapshots it again still
 * gets the new bytes.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { type Any, AnySchema } from '@bufbuild/protobuf/wkt';
import { ClusterSchema } from './gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from './gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from './gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from './gen/envoy/config/route/v3/route_pb.js';
import { SecretSchema } from './gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { createMessage as create } from './create-message.js';
import { allocateBuffer, encodedSize, writeEncoded } from './encode.js';
import { type ResourceKind, type XdsResource, resourceName } from './resources.js';

/** A resource as a snapshot holds it. */
export interface PackedResource {
  /** The resource in a `google.protobuf.Any` (`DiscoveryResponse.resources[]`), frozen. */
  readonly any: Any;
  /**
   * What the type version hashes for this resource: `<name> NUL <Any encoding> NUL` (the Any's
   * field 1 `type_url` and field 2 `value`, as `toBinary(AnySchema)` writes them). Hashed in name
   * order, so the version is a function of the content only.
   */
  readonly framed: Buffer;
}

/** Per reusable message: its packing once made, `null` until then (one weak entry per message, not two). */
const PACKED = new WeakMap<object, PackedResource | null>();

/**
 * Marks `message` as shared and never changed again, so its packing can be remembered (until the
 * message is garbage collected: the memo is a WeakMap). Returns `message`.
 */
export function markReusable<T extends XdsResource>(message: T): T {
  if (!PACKED.has(message)) PACKED.set(message, null);
  return message;
}

const REUSABLE_LISTS = new WeakSet<readonly XdsResource[]>();

/**
 * Freezes `list` and its messages and marks it as a shared, never-changed list of reusable
 * messages (the translation cache's per-scope lists: a namespace's load assignments, its sidecars'
 * route configurations), so a snapshot of it is made once and shared by every snapshot that holds
 * the very same list (`createSnapshot`). Marks each message reusable too. Returns `list`.
 */
export function markReusableList<T extends XdsResource>(list: readonly T[]): readonly T[] {
  if (REUSABLE_LISTS.has(list)) return list;
  for (const m of list) {
    Object.freeze(m);
    markReusable(m);
  }
  REUSABLE_LISTS.add(Object.freeze(list));
  return list;
}

/** Whether `list` was marked by {@link markReusableList}. */
export function isReusableList(list: readonly XdsResource[]): boolean {
  return REUSABLE_LISTS.has(list);
}

/** Whether `message` was marked by {@link markReusable} (tests, and callers deciding whether to copy). */
export function isReusable(message: XdsResource): boolean {
  return PACKED.has(message);
}

/** A message's encoding, sized before it is written (as `encodedSize` and `writeEncoded`). */
export interface PresizedEncoding {
  /** Byte length of the encoding. */
  readonly size: number;
  /** Writes the `size` bytes at `offset` of `target`; returns the offset after them. */
  write(target: Uint8Array, offset: number): number;
}

const ENCODINGS = new WeakMap<object, () => PresizedEncoding>();

/**
 * Gives a reusable `message` an encoding cheaper than encoding it field by field (a route
 * configuration spliced from virtual hosts encoded once, `routeConfigurationEncoding`): what
 * `encoding()` writes must be exactly the bytes `toBinary` writes for the message. It is written
 * straight into the resource's frame (a large resource's fresh pages are touched once). Returns `message`.
 */
export function withEncoding<T extends XdsResource>(message: T, encoding: () => PresizedEncoding): T {
  ENCODINGS.set(message, encoding);
  return message;
}

/** The message type of each kind (as `packResource` packs it). */
const SCHEMAS: Record<ResourceKind, DescMessage> = {
  cluster: ClusterSchema, endpoint: ClusterLoadAssignmentSchema, listener: ListenerSchema, route: RouteConfigurationSchema, secret: SecretSchema,
};

/**
 * `message` packed and framed: remembered for a reusable message, computed afresh otherwise. The
 * caller must pass the message's own kind (as `packResource`). The same bytes as
 * `packResource(kind, message)` and its framing, written once: the resource is encoded straight
 * into its frame (`encode.ts`, sized first), and the Any's `value` is a view of those bytes.
 */
export function packOnce(kind: ResourceKind, message: XdsResource): PackedResource {
  const known = PACKED.get(message);
  if (known) return known;
  const reusable = known === null;
  const packed = pack(kind, message, reusable);
  if (reusable) PACKED.set(message, packed);
  return packed;
}

// One buffer per resource, `<name> NUL <Any: 0x0a len type_url 0x12 len value> NUL`, written in
// place (the Any's fields as toBinary(AnySchema) writes them: an empty value is left out).
// A shared (reusable) resource's frame is carved from a slab it shares with the other resources of
// its graph, which live and die together; any other frame gets a buffer of its own (Node's pool), so
// a frame that outlives its neighbours never keeps a slab alive.
function pack(kind: ResourceKind, message: XdsResource, reusable: boolean): PackedResource {
  const schema = SCHEMAS[kind];
  const name = resourceName(kind, message);
  const typeUrl = `type.googleapis.com/${schema.typeName}`;
  const given = ENCODINGS.get(message)?.();
  const valueLen = given ? given.size : encodedSize(schema, message as never);
  const nameLen = Buffer.byteLength(name, 'utf8');
  const urlLen = typeUrl.length;
  const size = nameLen + 1 + 1 + varintSize(urlLen) + urlLen + (valueLen > 0 ? 1 + varintSize(valueLen) + valueLen : 0) + 1;
  const out = reusable ? allocateBuffer(size) : Buffer.allocUnsafe(size);
  let at = nameLen === name.length ? out.write(name, 0, 'latin1') : out.write(name, 0, 'utf8');
  out[at++] = 0;
  out[at++] = 0x0a;
  at = writeVarint(out, at, urlLen);
  at += out.write(typeUrl, at, 'latin1');
  let value = new Uint8Array(0);
  if (valueLen > 0) {
    out[at++] = 0x12;
    at = writeVarint(out, at, valueLen);
    const end = given ? given.write(out, at) : writeEncoded(schema, message as never, out, at);
    if (end !== at + valueLen) throw new Error(`pack ${kind} "${name}": wrote ${end - at} bytes, sized ${valueLen} (the message changed while it was packed?)`);
    value = new Uint8Array(out.buffer, out.byteOffset + at, valueLen);
    at = end;
  }
  out[at] = 0;
  const any = Object.freeze(create(AnySchema, { typeUrl, value }));
  return { any, framed: out };
}

function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Buffer, at: number, n: number): number {
  while (n > 0x7f) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}
