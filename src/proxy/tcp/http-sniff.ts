/**
 * Envoy's `envoy.filters.listener.http_inspector`, pure: from the first plaintext bytes, the
 * application protocol — `h2c` (HTTP/2 prior-knowledge preface), `http/1.1` or `http/1.0` (a request
 * line) — or none. Filter chains match it through `filter_chain_match.application_protocols`.
 */

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Envoy reads at most this many bytes of a request line before giving up. */
const MAX_SNIFF = 8192;

/** What the first bytes say: protocols for the match, `need-more`, or `[]` when not HTTP. */
export type HttpSniff = readonly string[] | 'need-more';

export function sniffHttp(buf: Buffer): HttpSniff {
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return buf.length >= H2_PREFACE.length ? ['h2c'] : 'need-more';
  const eol = buf.indexOf('\r\n');
  const line = buf.subarray(0, eol < 0 ? Math.min(buf.length, MAX_SNIFF) : eol).toString('latin1');
  const method = /^([A-Z]{1,20})(?: |$)/.exec(line);
  if (!method) return /^[A-Z]{0,20}$/.test(line) && eol < 0 ? 'need-more' : [];
  if (eol < 0) return buf.length >= MAX_SNIFF ? [] : 'need-more';
  const m = /^[A-Z]+ \S+ HTTP\/1\.([01])$/.exec(line);
  return m ? [m[1] === '1' ? 'http/1.1' : 'http/1.0'] : [];
}
