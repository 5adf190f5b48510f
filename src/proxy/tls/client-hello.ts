/**
 * A TLS ClientHello reader, as Envoy's `envoy.filters.listener.tls_inspector` uses it: from the first
 * bytes of a connection, whether it is TLS, and the SNI (`server_name`, lower-cased) and ALPN list the
 * client offers. Pure; the bytes are never consumed (see `tcp/inspect.ts` for the socket side).
 *
 * The ClientHello may span several TLS records; they are reassembled. Anything that is not a
 * handshake record carrying a ClientHello is "not TLS" (Envoy then leaves the transport protocol
 * `raw_buffer`).
 */

/** Envoy's default `max_client_hello_size`: 64 KiB. */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

/** What the first bytes say. */
export type ClientHelloResult =
  | { readonly kind: 'tls'; readonly serverName: string; readonly alpn: readonly string[] }
  | { readonly kind: 'not-tls' }
  | { readonly kind: 'need-more' }
  | { readonly kind: 'too-large' };

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;

/** Reads a ClientHello from the start of `buf`. */
export function parseClientHello(buf: Buffer, maxBytes = MAX_CLIENT_HELLO_BYTES): ClientHelloResult {
  if (buf.length === 0) return { kind: 'need-more' };
  if (buf[0] !== HANDSHAKE) return { kind: 'not-tls' };
  if (buf.length >= 2 && buf[1] !== 0x03) return { kind: 'not-tls' };
  // Reassemble handshake bytes from consecutive handshake records.
  const parts: Buffer[] = [];
  let have = 0;
  let off = 0;
  let needed = -1;
  while (true) {
    if (off + 5 > buf.length) return buf.length > maxBytes ? { kind: 'too-large' } : { kind: 'need-more' };
    if (buf[off] !== HANDSHAKE || buf[off + 1] !== 0x03) return { kind: 'not-tls' };
    const len = buf.readUInt16BE(off + 3);
    if (len === 0 || len > 16384 + 2048) return { kind: 'not-tls' };
    if (off + 5 + len > buf.length) {
      return off + 5 + len > maxBytes ? { kind: 'too-large' } : { kind: 'need-more' };
    }
    parts.push(buf.subarray(off + 5, off + 5 + len));
    have += len;
    off += 5 + len;
    if (needed < 0 && have >= 4) {
      const hs = Buffer.concat(parts);
      if (hs[0] !== CLIENT_HELLO) return { kind: 'not-tls' };
      needed = 4 + hs.readUIntBE(1, 3);
      if (needed > maxBytes) return { kind: 'too-large' };
    }
    if (needed >= 0 && have >= needed) break;
  }
  const body = Buffer.concat(parts).subarray(4, needed);
  return readHello(body) ?? { kind: 'not-tls' };
}

function readHello(b: Buffer): ClientHelloResult | undefined {
  let p = 2 + 32; // legacy_version, random
  if (p + 1 > b.length) return undefined;
  p += 1 + b[p]!; // session id
  if (p + 2 > b.length) return undefined;
  p += 2 + b.readUInt16BE(p); // cipher suites
  if (p + 1 > b.length) return undefined;
  p += 1 + b[p]!; // compression methods
  let serverName = '';
  const alpn: string[] = [];
  if (p + 2 > b.length) return p === b.length ? { kind: 'tls', serverName, alpn } : undefined;
  const end = p + 2 + b.readUInt16BE(p);
  if (end > b.length) return undefined;
  p += 2;
  while (p + 4 <= end) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    const ext = b.subarray(p + 4, p + 4 + len);
    if (p + 4 + len > end) return undefined;
    if (type === EXT_SERVER_NAME && ext.length >= 5) {
      // server_name_list: u16 length, then (u8 type, u16 length, name)*; host_name is type 0.
      let q = 2;
      while (q + 3 <= ext.length) {
        const nameType = ext[q]!;
        const nameLen = ext.readUInt16BE(q + 1);
        if (nameType === 0) { serverName = ext.subarray(q + 3, q + 3 + nameLen).toString('latin1').toLowerCase(); break; }
        q += 3 + nameLen;
      }
    } else if (type === EXT_ALPN && ext.length >= 2) {
      let q = 2;
      while (q < ext.length) {
        const l = ext[q]!;
        alpn.push(ext.subarray(q + 1, q + 1 + l).toString('latin1'));
        q += 1 + l;
      }
    }
    p += 4 + len;
  }
  return { kind: 'tls', serverName, alpn };
}
