/**
 * The x-request-id the HTTP connection manager generates (`generate_request_id`, Envoy's
 * `UUIDRequestIDExtension` with `Random::RandomGeneratorImpl::uuid()`): a version-4 UUID in its
 * 36-character lower-case form, from the cryptographic random source, as `crypto.randomUUID()`
 * makes it. Node's builds each id from 20 string pieces (about 600 bytes of garbage per request);
 * here the 16 random bytes of an id come from a pool refilled 256 ids at a time and the id is
 * written into a small buffer read back as one flat string.
 */
import { randomFillSync } from 'node:crypto';

const IDS_PER_FILL = 256;
const pool = Buffer.allocUnsafeSlow(16 * IDS_PER_FILL);
let next = pool.length;
/** `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`: the dashes stay, the digits are written per id. */
const text = Buffer.from('00000000-0000-4000-8000-000000000000', 'latin1');
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Where the high nibble of random byte i goes in {@link text}. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** A new random (version 4, RFC 9562 variant) UUID, e.g. `0b6f2a1e-5c1d-4f3a-9e2b-7d4c1a0f8e36`. */
export function generateRequestId(): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const o = next;
  next += 16;
  for (let i = 0; i < 16; i++) {
    let b = pool[o + i]!;
    if (i === 6) b = (b & 0x0f) | 0x40;
    else if (i === 8) b = (b & 0x3f) | 0x80;
    const at = AT[i]!;
    text[at] = HEX[b >> 4]!;
    text[at + 1] = HEX[b & 0x0f]!;
  }
  return text.toString('latin1', 0, 36);
}
