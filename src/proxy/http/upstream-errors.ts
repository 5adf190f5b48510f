/**
 * Upstream failures before response headers → Envoy's response flag, status, local-reply body and
 * response code details (`source/common/router/router.cc` `onUpstreamReset`,
 * `streamResetReasonToResponseFlag`; `Http::Utility::resetReasonToString`): a connection refused or
 * unreachable 503 UF `remote connection failure` (a connect timeout `connection timeout`), a
 * connection the upstream closed or reset 503 UC `connection termination`, a response that does not
 * parse 502 UPE `protocol error`, a refused HTTP/2 stream 503 UC `remote refused stream reset`. The
 * details are `upstream_reset_before_response_started{<reason>[|<transport failure reason>]}` with
 * blanks made `_`, as Envoy's `StringUtil::replaceAllEmptySpace`.
 */
import type { ClusterStats } from '../admin/stats.js';
import { UpstreamError, type UpstreamHost } from './pipeline.js';

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_HTTP2_SESSION_ERROR_CONNECT', 'ETIMEDOUT']);
const CONNECT_TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
/** strerror(3) of the errno codes a connect can fail with, as Envoy's transport failure reason names them. */
const STRERROR: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused', EHOSTUNREACH: 'No route to host', ENETUNREACH: 'Network is unreachable', EADDRNOTAVAIL: 'Cannot assign requested address',
};

/** The local-reply body Envoy sends for a reset before headers. */
export function resetBody(reason: string): string {
  return `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`;
}

/** `upstream_reset_before_response_started{<reason>[|<transport failure reason>]}`, blanks as `_` (Envoy's EarlyUpstreamReset details). */
export function earlyResetDetails(reason: string, transportFailure?: string): string {
  return `upstream_reset_before_response_started{${reason}${transportFailure ? `|${transportFailure}` : ''}}`.replace(/\s/g, '_');
}

/**
 * `%RESPONSE_CODE_DETAILS%` of a router local reply for `err` (Envoy's `ResponseCodeDetailValues`):
 * its own `responseCodeDetails`, else by flag: UH `no_healthy_upstream` (the router found no host:
 * an empty cluster, or an ORIGINAL_DST cluster with no original destination), NC `cluster_not_found`,
 * UT `response_timeout`, UO `…{overflow}`, UF `…{remote_connection_failure}`, UPE `…{protocol_error}`,
 * others `…{connection_termination}`.
 */
export function responseCodeDetailsOf(err: UpstreamError): string {
  if (err.responseCodeDetails) return err.responseCodeDetails;
  switch (err.flag) {
    case 'UH': return 'no_healthy_upstream';
    case 'NC': return 'cluster_not_found';
    case 'UT': return 'response_timeout';
    case 'UO': return earlyResetDetails('overflow');
    case 'UF': return earlyResetDetails('remote connection failure');
    case 'UPE': return earlyResetDetails('protocol error');
    default: return earlyResetDetails('connection termination');
  }
}

/**
 * An early reset: `transportFailure` (connect failures only, as Envoy's transport failure reason)
 * goes into the body and the details; `cause` (what Node saw) only into the body, in parentheses.
 */
function reset(flag: 'UF' | 'UC' | 'UPE', status: number, reason: string, host: UpstreamHost, o: { transportFailure?: string; cause?: string } = {}): UpstreamError {
  const body = resetBody(`${reason}${o.transportFailure ? `, transport failure reason: ${o.transportFailure}` : ''}${o.cause ? ` (${o.cause})` : ''}`);
  return new UpstreamError(flag, status, body, host, undefined, earlyResetDetails(reason, o.transportFailure));
}

export function classifyUpstreamError(thrown: unknown, host: UpstreamHost, stats: ClusterStats): UpstreamError {
  if (thrown instanceof UpstreamError) return thrown;
  const err = thrown instanceof Error ? thrown : new Error(String(thrown));
  // Not every error's code is a string (a DOMException's is a number): compare as text.
  const raw = (err as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  if (CONNECT_FAILURES.has(code)) {
    stats.upstream_cx_connect_fail++;
    if (CONNECT_TIMEOUTS.has(code)) {
      stats.upstream_cx_connect_timeout++;
      return reset('UF', 503, 'connection timeout', host, { cause: `${code}: ${err.message}` });
    }
    return reset('UF', 503, 'remote connection failure', host, { transportFailure: `delayed connect error: ${STRERROR[code] ?? code}`, cause: `${code}: ${err.message}` });
  }
  if (code.startsWith('HPE_') || code === 'UND_ERR_INFO' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || err.name === 'HTTPParserError' || code === 'ERR_HTTP2_PROTOCOL_ERROR') {
    stats.upstream_cx_protocol_error++;
    return reset('UPE', 502, 'protocol error', host, { cause: `${code || err.name}: ${err.message}` });
  }
  stats.upstream_cx_destroy_remote_with_active_rq++;
  stats.upstream_rq_rx_reset++;
  return reset('UC', 503, 'connection termination', host, { cause: `${code || err.name}: ${err.message}` });
}
