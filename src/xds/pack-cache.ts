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
import type { Any } from '@bufbuild/protobuf/wkt';
import { type ResourceKind, type XdsResource, packResource, resourceName } from './resources.js';

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

const REUSABLE = new WeakSet<object>();
const PACKED = new WeakMap<object, PackedResource>();

/**
 * Marks `message` as shared and never changed again, so its packing can be remembered (until the
 * message is garbage collected: the memo is a WeakMap). Returns `message`.
 */
export function markReusable<T extends XdsResource>(message: T): T {
  REUSABLE.add(message);
  return message;
}

/** Whether `message` was marked by {@link markReusable} (tests, and callers deciding whether to copy). */
export function isReusable(message: XdsResource): boolean {
  return REUSABLE.has(message);
}

/**
 * `message` packed and framed: remembered for a reusable message, computed afresh otherwise. The
 * caller must pass the message's own kind (as `packResource`).
 */
export function packOnce(kind: ResourceKind, message: XdsResource): PackedResource {
  const known = PACKED.get(message);
  if (known) return known;
  const any = Object.freeze(packResource(kind, message));
  const packed: PackedResource = { any, framed: frame(resourceName(kind, message), any) };
  if (REUSABLE.has(message)) PACKED.set(message, packed);
  return packed;
}

// One buffer per resource, written in place: building it from a dozen small Buffers cost as much
// as hashing them.
function frame(name: string, any: Any): Buffer {
  const nameLen = Buffer.byteLength(name, 'utf8');
  const urlLen = Buffer.byteLength(any.typeUrl, 'utf8');
  const valueLen = any.value.length;
  const size = nameLen + 1 + (urlLen > 0 ? 1 + varintSize(urlLen) + urlLen : 0) + (valueLen > 0 ? 1 + varintSize(valueLen) + valueLen : 0) + 1;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(name, 0, 'utf8');
  out[at++] = 0;
  if (urlLen > 0) {
    out[at++] = 0x0a;
    at = writeVarint(out, at, urlLen);
    at += out.write(any.typeUrl, at, 'utf8');
  }
  if (valueLen > 0) {
    out[at++] = 0x12;
    at = writeVarint(out, at, valueLen);
    out.set(any.value, at);
    at += valueLen;
  }
  out[at] = 0;
  return out;
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
