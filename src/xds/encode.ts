/**
 * A protobuf binary encoder for the generated Envoy messages that writes each message into one
 * buffer of its exact size: a size pass first (nested lengths and UTF-8 string lengths remembered in
 * visit order), then a write pass that consumes them. Byte for byte what `toBinary(schema, message)`
 * of @bufbuild/protobuf writes (fields in number order, proto3 implicit presence omits zero values,
 * explicit presence and oneofs write what is set, packed repeated scalars, map entries with key and
 * value always written, `google.protobuf.Struct` fields held as JSON, unwrapped wrapper fields,
 * unknown fields last), without its growing buffers, copies and per-field closures: a cold
 * 1,000-service snapshot encodes 6,000 resources.
 *
 * Generated code, generated from the generated descriptors: the first time a message type is
 * encoded, straight-line JavaScript is generated for it and every type it reaches (one size and one
 * write function per type, each field inline: `encode-codegen.ts`) and compiled once per process.
 * Anything it does not handle the way `toBinary` does (group encoding, a value of the wrong
 * JavaScript type, a foreign message, a missing proto2 required field) makes it hand the message to
 * `toBinary`, which then encodes it or throws its own error: same bytes or same error, always.
 */
import { type DescMessage, type MessageShape, protoInt64, toBinary } from '@bufbuild/protobuf';
import { type Any, AnySchema } from '@bufbuild/protobuf/wkt';
import { createMessage as create } from './create-message.js';
import { compileEncoder, type CompiledEncoder } from './encode-codegen.js';
import { noteParsed } from './config-syntax.js';
import { notePacked } from './proto-constraints.js';

const ENCODERS = new WeakMap<DescMessage, CompiledEncoder>();

function encoderOf(desc: DescMessage): CompiledEncoder {
  let e = ENCODERS.get(desc);
  if (!e) ENCODERS.set(desc, (e = compileEncoder(desc, protoInt64, PREENCODED)));
  return e;
}

/** Where {@link preencode} keeps a message's bytes (a non-enumerable property the generated encoders read). */
const PREENCODED = Symbol('meshproof.preencoded');

/**
 * Encodes `message` now and keeps the bytes on it, so every message that holds it as a field (the
 * translation cache's shared parts: one circuit breaker or endpoint in thousands of clusters and
 * load assignments) copies them instead of encoding it again. The message must never change
 * afterwards (a changed part would still be sent as it was). The bytes are a non-enumerable symbol
 * property: invisible to Object.keys, spread, JSON and equality. Returns `message`.
 */
export function preencode<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): MessageShape<Desc> {
  // Its own buffer: a part may outlive the graph it was made for, and must not keep a slab alive.
  const size = encodedSize(schema, message);
  const bytes = new Uint8Array(size);
  writeEncoded(schema, message, bytes, 0);
  Object.defineProperty(message, PREENCODED, { value: bytes, enumerable: false });
  return message;
}

let pending: { message: unknown; bytes: Uint8Array | undefined } | undefined;

/** The byte length of `message` encoded; pair with {@link writeEncoded} (the next call of this module) to write it. */
export function encodedSize<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): number {
  pending = undefined;
  try {
    const size = encoderOf(schema).size(message);
    pending = { message, bytes: undefined };
    return size;
  } catch {
    // The fallback marker, or anything else a malformed message made the fast path trip on:
    // toBinary decides, so the caller gets its bytes or its error.
    const bytes = toBinary(schema, message);
    pending = { message, bytes };
    return bytes.length;
  }
}

/**
 * Writes `message`, sized by the {@link encodedSize} call just before, into `target` at `offset`
 * (exactly that many bytes must fit, and the message must not have changed since). Returns the
 * offset after it. Throws if `message` is not the one just sized.
 */
export function writeEncoded<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, target: Uint8Array, offset: number): number {
  const p = pending;
  pending = undefined;
  if (p?.message !== message) throw new Error('writeEncoded: call encodedSize(schema, message) for this message first');
  if (p.bytes) {
    target.set(p.bytes, offset);
    return offset + p.bytes.length;
  }
  return encoderOf(schema).write(message, target, offset);
}

/** `toBinary(schema, message)`: the same bytes, in one allocation of the exact size. */
export function encodeMessage<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array<ArrayBuffer> {
  const size = encodedSize(schema, message);
  // A plain Uint8Array view of a slab, so the result is what toBinary returns in all but its buffer.
  const out = allocate(size);
  writeEncoded(schema, message, out, 0);
  return out;
}

/** `anyPack(schema, message)` of @bufbuild/protobuf (`type.googleapis.com/<type name>` and the message's bytes), encoded by {@link encodeMessage}. */
export function packAny<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Any {
  // The message's proto constraints and unparsable values are noted now, so the snapshot check need not decode the Any.
  const any = create(AnySchema, { typeUrl: `type.googleapis.com/${schema.typeName}`, value: encodeMessage(schema, message) });
  return noteParsed(notePacked(any, schema, message), schema, message);
}

const SLAB_SIZE = 64 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabAt = 0;

/** Where the next `size` bytes of the slab start (a new slab, uninitialised, when it is full). */
function carve(size: number): number {
  if (slabAt + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabAt = 0;
  }
  const at = slabAt;
  // 8-byte aligned starts, as Node's own pool keeps them.
  slabAt += (size + 7) & ~7;
  return at;
}

/**
 * `size` bytes (not zeroed) carved from a shared 64 KiB slab, so thousands of small encodings are
 * not thousands of ArrayBuffers (each one external memory the garbage collector accounts for).
 * Sizes above 8 KiB get their own buffer. A slab lives as long as any view of it: use it for bytes
 * that live about as long as their neighbours (a graph's translation cache).
 */
export function allocate(size: number): Uint8Array<ArrayBuffer> {
  if (size > SLAB_SIZE / 8) return new Uint8Array(size);
  const at = carve(size);
  return new Uint8Array(slab.buffer, slab.byteOffset + at, size);
}

/** {@link allocate} as a Buffer (a view of the slab, or its own buffer above 8 KiB). */
export function allocateBuffer(size: number): Buffer<ArrayBuffer> {
  if (size > SLAB_SIZE / 8) return Buffer.allocUnsafe(size);
  const at = carve(size);
  return Buffer.from(slab.buffer, slab.byteOffset + at, size);
}
