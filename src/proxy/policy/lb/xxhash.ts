/**
 * XXH64 as Envoy's `HashUtil::xxHash64` (seed 0 unless given), over the UTF-8 bytes of a string.
 * Written here rather than taken from `xxhash-wasm`: that package only initialises asynchronously
 * (top-level await), which the CommonJS CLI bundle cannot contain; the test suite checks this
 * implementation against `xxhash-wasm` and Envoy's own test vectors. BigInt arithmetic, ~1 µs for
 * the short keys hashed here (header values, `ip:port_i`).
 */
const M = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M;
const round = (acc: bigint, lane: bigint) => (rotl((acc + lane * P2) & M, 31n) * P1) & M;
const merge = (h: bigint, v: bigint) => (((h ^ round(0n, v)) * P1) + P4) & M;

/** XXH64 of `input` (a string is hashed as its UTF-8 bytes), unsigned 64-bit. `xxHash64('foo') === 3728699739546630719n` as in Envoy's tests. */
export function xxHash64(input: string | Uint8Array, seed: bigint = 0n): bigint {
  const b = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const len = b.byteLength;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (seed + P1 + P2) & M;
    let v2 = (seed + P2) & M;
    let v3 = seed;
    let v4 = (seed - P1) & M;
    for (; i + 32 <= len; i += 32) {
      v1 = round(v1, dv.getBigUint64(i, true));
      v2 = round(v2, dv.getBigUint64(i + 8, true));
      v3 = round(v3, dv.getBigUint64(i + 16, true));
      v4 = round(v4, dv.getBigUint64(i + 24, true));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = (seed + P5) & M;
  }
  h = (h + BigInt(len)) & M;
  for (; i + 8 <= len; i += 8) h = ((rotl(h ^ round(0n, dv.getBigUint64(i, true)), 27n) * P1) + P4) & M;
  if (i + 4 <= len) {
    h = ((rotl(h ^ ((BigInt(dv.getUint32(i, true)) * P1) & M), 23n) * P2) + P3) & M;
    i += 4;
  }
  for (; i < len; i++) h = (rotl(h ^ ((BigInt(b[i]!) * P5) & M), 11n) * P1) & M;
  h ^= h >> 33n;
  h = (h * P2) & M;
  h ^= h >> 29n;
  h = (h * P3) & M;
  h ^= h >> 32n;
  return h;
}

/** Envoy `HashUtil::xxHash64(Span<string_view>)`: each piece hashed with the previous result as seed. */
export function xxHash64Chain(pieces: readonly string[]): bigint {
  let seed = 0n;
  for (const p of pieces) seed = xxHash64(p, seed);
  return seed;
}
