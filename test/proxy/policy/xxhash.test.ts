/** XXH64: Envoy's test vectors, and agreement with the xxhash-wasm package on every length class and seeds. */
import xxhash from 'xxhash-wasm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { xxHash64 } from '../../../src/proxy/policy/lb/xxhash.js';
import { seeded } from './_helpers.js';

test('GIVEN Envoy hash_test vectors THEN xxHash64("foo") = 3728699739546630719 and xxHash64("") = 0xef46db3751d8e999', () => {
  assert.is(xxHash64('foo'), 3728699739546630719n);
  assert.is(xxHash64(''), 0xef46db3751d8e999n);
});

test('GIVEN strings of 0..100 bytes (ASCII and multi-byte UTF-8) and seeds 0, 1, 2^64-1 THEN the same value as xxhash-wasm', async () => {
  const ref = await xxhash();
  const r = seeded(3);
  for (let len = 0; len <= 100; len++) {
    const ascii = Array.from({ length: len }, () => String.fromCharCode(32 + Math.floor(r() * 95))).join('');
    const utf8 = Array.from({ length: Math.ceil(len / 3) }, () => String.fromCodePoint(0x400 + Math.floor(r() * 0x2000))).join('');
    for (const seed of [0n, 1n, (1n << 64n) - 1n]) {
      assert.is(xxHash64(ascii, seed), ref.h64(ascii, seed), `ascii len ${len} seed ${seed}`);
      assert.is(xxHash64(utf8, seed), ref.h64(utf8, seed), `utf8 len ${len} seed ${seed}`);
    }
  }
});

test('GIVEN a wrong seed THEN a different hash', () => {
  assert.is.not(xxHash64('10.0.0.1:80_0', 1n), xxHash64('10.0.0.1:80_0'));
});

test.run();
