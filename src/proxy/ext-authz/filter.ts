/**
 * `envoy.filters.http.ext_authz` as a pipeline HTTP filter (Envoy `filters/http/ext_authz/ext_authz.cc`).
 *
 * Per request: no route → passes unchecked (Envoy skips the check without a route);
 * `filter_enabled_metadata` not matching the exchange's dynamic metadata → passes unchecked, no call
 * (Istio's CUSTOM action: only requests a CUSTOM rule matched in the shadow RBAC filter before it);
 * otherwise the body is buffered when `with_request_body` asks, the authorization service is called
 * through the core's async client, and the result applies:
 * - OK: the upstream request and response header edits, then the next filter;
 * - Denied: local reply with the service's status, body and headers, flag `UAEX`, details
 *   `ext_authz_denied`;
 * - Error: `failure_mode_allow` lets the request through (with
 *   `x-envoy-auth-failure-mode-allowed: true` when `failure_mode_allow_header_add`); otherwise local
 *   reply `status_on_error` (default 403) with an empty body, flag `UAEX`, details `ext_authz_error`.
 */
import { Readable } from 'node:stream';
import { ConfigError } from '../config/config-error.js';
import type { AsyncClient, Exchange, HttpFilterFactory, LocalReply } from '../http/pipeline.js';
import { applyOk, type AuthzResult, checkHeaders, matchesName } from './check.js';
import { EXT_AUTHZ_TYPE_URL, type ExtAuthzConfig, readExtAuthz } from './config.js';
import { checkRequest, grpcCheckRequest, grpcCheckResult } from './grpc-service.js';
import { httpCheckRequest, httpCheckResult } from './http-service.js';

/**
 * The most bytes of an authorization response kept (body and gRPC frame). Envoy buffers the whole
 * response; a longer one here is an error (`status_on_error`), so a huge answer cannot grow memory.
 */
export const MAX_AUTHZ_RESPONSE_BYTES = 1024 * 1024;

/** Envoy's response code details (`ResponseCodeDetails` of `filters/common/ext_authz`). */
export const AUTHZ_DENIED = 'ext_authz_denied';
export const AUTHZ_ERROR = 'ext_authz_error';

const PARTIAL_BODY = 'x-envoy-auth-partial-body';

/**
 * Buffers up to `max` bytes of the request body. The whole body → it replaces `ex.body` (a Buffer).
 * Longer: with `allowPartial` the first bytes are checked and the upstream body is those bytes then
 * the rest of the stream; without, Envoy's decoder buffer limit answers 413.
 */
function bufferBody(ex: Exchange, max: number, allowPartial: boolean): Promise<{ body: Buffer; partial: boolean } | 'too_large'> {
  const b = ex.body;
  if (b === null) return Promise.resolve({ body: Buffer.alloc(0), partial: false });
  if (Buffer.isBuffer(b)) return Promise.resolve(allowPartial && b.length > max ? { body: b.subarray(0, max), partial: true } : b.length > max ? 'too_large' : { body: b, partial: false });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => { b.off('data', onData); b.off('end', onEnd); b.off('error', onError); };
    const onData = (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size < max || (!allowPartial && size === max)) return;
      b.pause();
      done();
      if (!allowPartial) { resolve('too_large'); return; }
      const held = Buffer.concat(chunks);
      ex.body = Readable.from((async function* rest() { yield held; for await (const x of b) yield x as Buffer; })(), { objectMode: false });
      // Envoy's header compares what was buffered with what is sent: exactly max bytes is not partial.
      resolve({ body: held.subarray(0, max), partial: held.length > max });
    };
    const onEnd = () => { done(); const all = Buffer.concat(chunks); ex.body = all; resolve({ body: all, partial: false }); };
    const onError = (e: Error) => { done(); reject(e); };
    b.on('data', onData);
    b.once('end', onEnd);
    b.once('error', onError);
  });
}

/** Calls the service; every failure to get an answer is an Error result. */
async function callService(cfg: ExtAuthzConfig, client: AsyncClient, ex: Exchange, body: Buffer | null, partial: boolean): Promise<AuthzResult> {
  const headers = checkHeaders(ex, cfg.allowedHeaders);
  const svc = cfg.service;
  if (body !== null && (svc.kind === 'grpc' || matchesName(cfg.allowedHeaders ?? [], PARTIAL_BODY))) headers.push([PARTIAL_BODY, String(partial)]);
  try {
    if (svc.kind === 'http') {
      const res = await client.send(svc.cluster, httpCheckRequest(svc, headers, body, MAX_AUTHZ_RESPONSE_BYTES, ex.signal));
      return httpCheckResult(svc, res);
    }
    const res = await client.send(svc.cluster, grpcCheckRequest(svc, checkRequest(ex, headers, body), MAX_AUTHZ_RESPONSE_BYTES, ex.signal));
    return grpcCheckResult(res);
  } catch (e) {
    return { status: 'error', reason: (e as Error).message };
  }
}

/** Applies a result: undefined lets the request continue. */
export function completeCheck(cfg: ExtAuthzConfig, ex: Exchange, r: AuthzResult): LocalReply | undefined {
  switch (r.status) {
    case 'ok':
      applyOk(ex, r);
      return undefined;
    case 'denied':
      return { status: r.httpStatus, body: r.body, headers: r.headers.flat(), flag: 'UAEX', details: AUTHZ_DENIED };
    case 'error':
      if (cfg.failureModeAllow) {
        if (cfg.failureModeAllowHeaderAdd) applyOk(ex, { status: 'ok', headersToSet: [], headersToAdd: [['x-envoy-auth-failure-mode-allowed', 'true']], headersToAppend: [], headersToRemove: [], responseHeadersToAdd: [] });
        return undefined;
      }
      return { status: cfg.statusOnError, body: '', flag: 'UAEX', details: AUTHZ_ERROR };
  }
}

async function check(cfg: ExtAuthzConfig, client: AsyncClient, ex: Exchange): Promise<LocalReply | undefined> {
  let body: Buffer | null = null;
  let partial = false;
  const wb = cfg.withRequestBody;
  if (wb && ex.body !== null) {
    const b = await bufferBody(ex, wb.maxRequestBytes, wb.allowPartialMessage);
    if (b === 'too_large') return { status: 413, body: 'Payload Too Large', details: 'request_payload_too_large' };
    ({ body, partial } = b);
  }
  return completeCheck(cfg, ex, await callService(cfg, client, ex, body, partial));
}

export const extAuthzFilterFactory: HttpFilterFactory = {
  typeUrls: [EXT_AUTHZ_TYPE_URL],
  create(config, env) {
    const cfg = readExtAuthz(config);
    const client = env?.http;
    if (!client) throw new ConfigError('', 'ext_authz needs the proxy core\'s async client to call its service; none was given to this listener');
    const enabled = cfg.enabledWhen;
    return {
      onRequest(ex) {
        if (ex.decision?.kind === 'no-route') return undefined;
        if (enabled && !enabled(ex.dynamicMetadata)) return undefined;
        return check(cfg, client, ex);
      },
    };
  },
  validatePerRoute() {
    throw new ConfigError('', 'per-route ext_authz (ExtAuthzPerRoute) is not supported by meshproof\'s proxy; Istio does not emit it');
  },
};
