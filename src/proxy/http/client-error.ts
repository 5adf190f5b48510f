/**
 * Requests node's HTTP/1.1 parser refuses before a request exists (malformed request line, both
 * Content-Length and Transfer-Encoding, duplicate Content-Length, headers over
 * `max_request_headers_kb`, CR/LF in a header value, headers not complete within
 * `request_headers_timeout`): answered as Envoy's codec does, 400 / 431 / 408 with
 * `connection: close`, then the connection is closed. Nothing reaches an upstream. Logged with the
 * flag DPE (downstream protocol error) and the parser's reason as response code details. Bodies as
 * Envoy's: the status reason for codec errors ("Bad Request", "Request Header Fields Too Large"),
 * "request header timeout" for the 408.
 */
import type { Socket } from 'node:net';
import type { HandlerEnv, HcmContext } from './request-handler.js';

function statusFor(code: string): [number, string] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'Request Header Fields Too Large'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') return [408, 'Request Timeout'];
  return [400, 'Bad Request'];
}

export function handleClientError(err: NodeJS.ErrnoException, socket: Socket, env: HandlerEnv, ctx: HcmContext): void {
  const code = err.code ?? 'UNKNOWN';
  if (code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason] = statusFor(code);
  const details = `http1.codec_error{${code}}`;
  ctx.stats.downstream_cx_protocol_error++;
  if (status === 408) ctx.stats.downstream_rq_timeout++;
  ctx.stats.response(status);
  // Envoy's wording: a codec error's body is the status reason (`CodeUtility::toString`, sendProtocolError);
  // the request_headers_timeout reply is the HCM's "request header timeout".
  const body = status === 408 ? 'request header timeout' : reason;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
  socket.destroySoon?.();
  env.accessLog?.log({
    startMs: Date.now(), method: '-', path: '-', protocol: '-', status, flags: ['DPE'], bytesReceived: 0, bytesSent: body.length,
    durationMs: 0, upstreamServiceTimeMs: undefined, xForwardedFor: undefined, userAgent: undefined, requestId: undefined, authority: undefined,
    upstreamHost: undefined, upstreamCluster: undefined, details,
  });
}
