/**
 * XXH64 as Envoy's `HashUtil::xxHash64` (seed 0), from the `xxhash-wasm` package (WebAssembly, no
 * install scripts). Loaded once at module load (top-level await), so callers hash synchronously.
 */
import xxhash from 'xxhash-wasm';

const api = await xxhash();

/** XXH64 of the UTF-8 bytes of `s`, unsigned 64-bit. `xxHash64('foo') === 3728699739546630719n` as in Envoy's tests. */
export function xxHash64(s: string, seed: bigint = 0n): bigint {
  return api.h64(s, seed);
}

/** Envoy `HashUtil::xxHash64(Span<string_view>)`: each piece hashed with the previous result as seed. */
export function xxHash64Chain(pieces: readonly string[]): bigint {
  let seed = 0n;
  for (const p of pieces) seed = api.h64(p, seed);
  return seed;
}
