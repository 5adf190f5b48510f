/**
 * Encodings spliced from parts encoded once: a message whose repeated message field holds shared
 * messages (a route configuration's virtual hosts, a virtual host's routes) is the encoding of the
 * message without that field with `<tag> <length> <part>` per element put where the field belongs.
 * Protobuf writes fields in field-number order (as @bufbuild/protobuf's `toBinary` and `encode.ts`
 * do), so that is before the first field with a higher number: byte for byte the whole encoding.
 */
import type { PresizedEncoding } from '../pack-cache.js';

/** Bytes of a varint. */
export function varintSize(n: number): number {
  let size = 1;
  for (; n >= 0x80; n = Math.floor(n / 128)) size++;
  return size;
}

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at++];
    if (b === undefined) throw new Error('splice: truncated varint');
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, at];
    scale *= 128;
  }
}

/** The offset of the first top-level field of `rest` numbered above `field` (its length when none). */
function insertionPoint(rest: Uint8Array, field: number): number {
  let at = 0;
  while (at < rest.length) {
    const [tag, afterTag] = readVarint(rest, at);
    if (Math.floor(tag / 8) > field) return at;
    switch (tag & 7) {
      case 0: at = readVarint(rest, afterTag)[1]; break;
      case 1: at = afterTag + 8; break;
      case 2: { const [len, afterLen] = readVarint(rest, afterTag); at = afterLen + len; break; }
      case 5: at = afterTag + 4; break;
      default: throw new Error(`splice: wire type ${tag & 7} of field ${Math.floor(tag / 8)} is not supported`);
    }
  }
  return rest.length;
}

/**
 * The encoding of a message whose repeated message field `field` holds `parts` (each an element's
 * encoding), given `rest`, the encoding of the message with that field empty.
 */
export function splicedEncoding(rest: Uint8Array, field: number, parts: readonly Uint8Array[]): PresizedEncoding {
  const split = insertionPoint(rest, field);
  const tag = field * 8 + 2;
  const tagSize = varintSize(tag);
  let size = rest.length;
  for (const b of parts) size += tagSize + varintSize(b.length) + b.length;
  return {
    size,
    write(out: Uint8Array, offset: number): number {
      out.set(rest.subarray(0, split), offset);
      let at = offset + split;
      for (const b of parts) {
        at = writeVarint(out, at, tag);
        at = writeVarint(out, at, b.length);
        out.set(b, at);
        at += b.length;
      }
      out.set(rest.subarray(split), at);
      return at + rest.length - split;
    },
  };
}

/** {@link splicedEncoding} into a buffer of its own. */
export function spliced(rest: Uint8Array, field: number, parts: readonly Uint8Array[]): Uint8Array {
  const e = splicedEncoding(rest, field, parts);
  const out = new Uint8Array(e.size);
  e.write(out, 0);
  return out;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}
