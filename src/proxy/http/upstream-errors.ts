/**
 * Upstream failures before response headers → Envoy's response flag, status and local-reply body
 * (`source/common/router/router.cc` `onUpstreamReset`): connection failure 503 UF, a connection the
 * upstream closed or reset 503 UC, a response that does not parse 502 UPE (Envoy's "protocol error"
 * reset reason), a refused HTTP/2 stream 503 UC.
 */
import type { ClusterStats } from '../admin/stats.js';
import { UpstreamError, type UpstreamHost } from './pipeline.js';

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_HTTP2_SESSION_ERROR_CONNECT', 'ETIMEDOUT']);

/** The local-reply body Envoy sends for a reset before headers. */
export function resetBody(reason: string): string {
  return `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`;
}

export function classifyUpstreamError(thrown: unknown, host: UpstreamHost, stats: ClusterStats): UpstreamError {
  if (thrown instanceof UpstreamError) return thrown;
  const err = thrown instanceof Error ? thrown : new Error(String(thrown));
  // Not every error's code is a string (a DOMException's is a number): compare as text.
  const raw = (err as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  if (CONNECT_FAILURES.has(code)) {
    stats.upstream_cx_connect_fail++;
    if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') stats.upstream_cx_connect_timeout++;
    return new UpstreamError('UF', 503, resetBody(`connection failure, transport failure reason: ${code}: ${err.message}`), host);
  }
  if (code.startsWith('HPE_') || code === 'UND_ERR_INFO' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || err.name === 'HTTPParserError' || code === 'ERR_HTTP2_PROTOCOL_ERROR') {
    stats.upstream_cx_protocol_error++;
    return new UpstreamError('UPE', 502, resetBody(`protocol error (${code || err.name}: ${err.message})`), host);
  }
  stats.upstream_cx_destroy_remote_with_active_rq++;
  stats.upstream_rq_rx_reset++;
  return new UpstreamError('UC', 503, resetBody(`connection termination (${code || err.name}: ${err.message})`), host);
}
