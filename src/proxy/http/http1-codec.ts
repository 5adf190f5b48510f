/**
 * What Envoy's HTTP/1.1 server codec (`source/common/http/http1/codec_impl.cc`) decides once a
 * request's headers are parsed, for the checks node's parser does not make, plus the HCM's fragment
 * rule. Each failure is a local reply with the flag DPE and Envoy's response code details (body: the
 * status reason for the codec's own errors, 426 included, as `sendProtocolError` sends
 * `CodeUtility::toString(error_code_)`; empty for the HCM's fragment reply, as Envoy); the
 * request never reaches a filter or an upstream, and the connection is closed after the reply.
 *
 * - `Transfer-Encoding` other than exactly `chunked` (case-insensitive; `gzip, chunked`…), or any
 *   on CONNECT → 501 `http1.invalid_transfer_encoding` (RFC 7230 §3.3.1: reject codings not
 *   understood; forwarding de-chunked bytes would change the body's meaning).
 * - Absolute-form request target (`GET http://host/path HTTP/1.1`), accepted as Envoy's
 *   `Http1ProtocolOptions.allow_absolute_url` default (true): `:authority` and `:path` are taken from
 *   the URI and the received Host is ignored (RFC 7230 §5.4); userinfo (`user:pw@`) is not part of the
 *   authority (Envoy takes the URL parser's host and port only); `req.url` and `req.headers.host` are
 *   rewritten in place, as Envoy rewrites its header map. A URL that does not parse → 400
 *   `http1.invalid_url`; a scheme other than http/https → 400 `http1.invalid_scheme`.
 *   `allow_absolute_url: false` leaves the target as the path (no route will match it).
 * - HTTP/1.0 (and 0.9) → 426 Upgrade Required, details `low_version`, unless
 *   `Http1ProtocolOptions.accept_http_10`; with it, a request without Host gets
 *   `default_host_for_http_10` when set (else the HCM's 400 `missing_host_header`).
 * - HCM (`ConnectionManagerUtility::maybeNormalizePath`, runtime guard
 *   `envoy.reloadable_features.http_reject_path_with_fragment`, default on): a `#fragment` in
 *   `:path` → 400 `path_normalization_failed`, for HTTP/1.1 and HTTP/2 alike.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Http1ProtocolOptions } from '../../xds/gen/envoy/config/core/v3/protocol_pb.js';
import type { LocalReply } from './pipeline.js';

/** What the checks read of a request (node:http's IncomingMessage and the fast path's request alike). */
export interface Http1RequestHead {
  readonly headers: IncomingHttpHeaders;
  url?: string;
  readonly method?: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
}

const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

function codecError(status: number, body: string, details: string): LocalReply {
  return { status, body, flag: 'DPE', details };
}

/**
 * Envoy's HTTP/1.1 codec checks for one parsed request (in the codec's order: transfer coding,
 * request target, protocol version). Rewrites `req.url` / `req.headers.host` for an absolute-form
 * target and for `default_host_for_http_10`. Returns the local reply to send, or undefined to go on.
 * `options` is the HCM's `http_protocol_options` (absent: Envoy's defaults).
 */
export function http1CodecChecks(req: Http1RequestHead, options: Http1ProtocolOptions | undefined): LocalReply | undefined {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && (te.trim().toLowerCase() !== 'chunked' || req.method === 'CONNECT')) {
    return codecError(501, 'Not Implemented', 'http1.invalid_transfer_encoding');
  }
  const url = req.url ?? '/';
  if (url !== '' && url[0] !== '/' && url !== '*' && req.method !== 'CONNECT' && options?.allowAbsoluteUrl !== false) {
    const m = ABSOLUTE.exec(url);
    let valid = m !== null && m[2] !== '';
    if (valid) { try { new URL(url); } catch { valid = false; } }
    if (!valid) return codecError(400, 'Bad Request', 'http1.invalid_url');
    const scheme = m![1]!.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return codecError(400, 'Bad Request', 'http1.invalid_scheme');
    const authority = m![2]!;
    req.headers.host = authority.slice(authority.lastIndexOf('@') + 1);
    req.url = m![3] === '' ? '/' : m![3]!;
  }
  if (req.httpVersionMajor === 0 || (req.httpVersionMajor === 1 && req.httpVersionMinor === 0)) {
    if (!options?.acceptHttp10) return codecError(426, 'Upgrade Required', 'low_version');
    if (req.headers.host === undefined && options.defaultHostForHttp10 !== '') req.headers.host = options.defaultHostForHttp10;
  }
  return undefined;
}

/** The HCM's fragment rule: `:path` with `#` → 400 `path_normalization_failed` (Envoy's default). */
export function fragmentReply(path: string): LocalReply | undefined {
  return path.includes('#') ? { status: 400, body: '', details: 'path_normalization_failed' } : undefined;
}
