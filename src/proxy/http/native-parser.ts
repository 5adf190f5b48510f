/**
 * Node's native llhttp binding (`HTTPParser` from the internal module `_http_common`), the parser
 * node:http itself runs: strict mode (no lenient flags), the same error codes (`HPE_*`) and limits.
 * The upstream connection pool (h1-pool.ts) parses responses with it and the downstream HTTP/1.1
 * codec (h1-server-connection.ts) requests. It is an internal of Node, so it is checked once when
 * this module loads: a Node without it (or with another shape) fails at startup with an error saying
 * what is missing, never with a crash on the first request.
 */
import { createRequire } from 'node:module';

/** One native parser instance (`node_http_parser.cc`). */
export interface NativeParser {
  /** `type` REQUEST or RESPONSE; `maxHeaderSize` bytes of head before HPE_HEADER_OVERFLOW; `lenient` 0 = strict. */
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  /** Parses a chunk: bytes consumed, or an Error with `code` (`HPE_*`), `reason` and `bytesParsed`. */
  execute(chunk: Buffer): number | (Error & { code?: string });
  /** End of input: an Error when a message was cut short (`HPE_INVALID_EOF_STATE`). */
  finish(): undefined | (Error & { code?: string });
  close(): void;
  /** Reads from a stream handle directly (node:http's fast path); results arrive through kOnExecute. */
  consume?(handle: object): void;
  unconsume?(): void;
  /** A copy of the buffer the parser is executing (or last executed); what follows an upgrade request's head is read from it. */
  getCurrentBuffer?(): Buffer;
  [k: number]: unknown;
}

/** The libuv stream handle of a net.Socket (TCPWrap) a parser can consume, as node:http uses it. */
export interface StreamHandle { isStreamBase?: boolean; _consumed?: boolean; reading?: boolean; readStart(): number; readStop(): number }

export interface NativeParserClass {
  new(): NativeParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
}

const REQUIRED = ['REQUEST', 'RESPONSE', 'kOnMessageBegin', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kOnExecute'] as const;

/**
 * Checks a loaded `_http_common` (or what a require returned) has the parser the codec needs;
 * throws an Error naming the Node version and every missing member. Exported for its test.
 */
export function nativeParserFrom(mod: { HTTPParser?: unknown; methods?: unknown } | undefined, version = process.version): { HTTPParser: NativeParserClass; methods: readonly string[] } {
  const P = mod?.HTTPParser as (NativeParserClass & Record<string, unknown>) | undefined;
  const missing: string[] = typeof P !== 'function' ? ['HTTPParser'] : REQUIRED.filter((k) => typeof P[k] !== 'number').map((k) => `HTTPParser.${k}`);
  if (typeof P === 'function' && typeof (P.prototype as { execute?: unknown }).execute !== 'function') missing.push('HTTPParser.prototype.execute');
  if (!Array.isArray(mod?.methods)) missing.push('methods');
  if (missing.length > 0) {
    throw new Error(`meshproof proxy: Node ${version}'s internal module _http_common lacks ${missing.join(', ')}; the proxy's HTTP/1.1 codec needs Node's native llhttp parser as Node 20 and 22 ship it`);
  }
  return { HTTPParser: P!, methods: mod!.methods as string[] };
}

function load(): { HTTPParser: NativeParserClass; methods: readonly string[] } {
  let mod: { HTTPParser?: unknown; methods?: unknown };
  try {
    mod = createRequire(import.meta.url)('_http_common') as typeof mod;
  } catch (e) {
    throw new Error(`meshproof proxy: Node ${process.version} has no internal module _http_common (${(e as Error).message}); the proxy's HTTP/1.1 codec needs Node's native llhttp parser: run it on Node 20 or 22`);
  }
  return nativeParserFrom(mod);
}

const native = load();

/** The native parser class (checked at load). */
export const HTTPParser: NativeParserClass = native.HTTPParser;
/** Method names by llhttp's method index (what kOnHeadersComplete passes). */
export const METHODS: readonly string[] = native.methods;
