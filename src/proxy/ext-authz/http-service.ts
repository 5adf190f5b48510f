/**
 * ext_authz's HTTP authorization service (Envoy `ext_authz_http_impl.cc`, `RawHttpClientImpl`).
 *
 * The check request: the original method, `path_prefix` + the original `:path`, the original
 * `:authority`, the allowed request headers (Envoy's defaults `authorization`, `:method`, `:path`,
 * `:authority` plus `allowed_headers`), `content-length` of the body sent (0 without one), then
 * `authorization_request.headers_to_add` (overwriting).
 *
 * The answer: a 5xx is an error (`status_on_error` unless `failure_mode_allow`); 200 allows, with
 * `allowed_upstream_headers` set on the upstream request, `allowed_upstream_headers_to_append` added
 * to it, the headers named by `x-envoy-auth-headers-to-remove` removed from it, and
 * `allowed_client_headers_on_success` added to the response; any other status denies with that
 * status, the service's body and its `allowed_client_headers` (by default every header but `host`).
 */
import type { AsyncRequest, AsyncResponse } from '../http/pipeline.js';
import { type AuthzResult, matchesName } from './check.js';
import type { HttpServiceConfig } from './config.js';

/** The header the service names request headers to remove with (Envoy `EnvoyAuthHeadersToRemove`). */
const HEADERS_TO_REMOVE = 'x-envoy-auth-headers-to-remove';

/** Local-reply headers the proxy writes itself: a denial never copies these from the service. */
const OWN_REPLY_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * The check request for the HTTP service: `headers` are the allowed request headers (pseudo-headers
 * included) as {@link checkHeaders} returns them; `body` the buffered request body, if sent.
 */
export function httpCheckRequest(svc: HttpServiceConfig, headers: readonly (readonly [string, string])[], body: Buffer | null, maxResponseBytes: number, signal?: AbortSignal): AsyncRequest {
  let method = 'GET';
  let path = svc.pathPrefix || '/';
  let authority = '';
  const out: string[] = ['content-length', String(body?.length ?? 0)];
  for (const [n, v] of headers) {
    if (n === 'content-length') continue;
    if (n === ':method') method = v;
    else if (n === ':path') path = svc.pathPrefix + v;
    else if (n === ':authority') authority = v;
    else if (!n.startsWith(':')) out.push(n, v);
  }
  for (const [n, v] of svc.headersToAdd) {
    if (n === ':path') { path = v; continue; }
    if (n === ':authority' || n === 'host') { authority = v; continue; }
    for (let i = out.length - 2; i >= 0; i -= 2) if (out[i] === n) out.splice(i, 2);
    out.push(n, v);
  }
  return { method, path, authority, headers: out, body: body && body.length > 0 ? body : null, timeoutMs: svc.timeoutMs, maxResponseBytes, ...(signal ? { signal } : {}) };
}

/** The authorization result of the HTTP service's response. */
export function httpCheckResult(svc: HttpServiceConfig, res: AsyncResponse): AuthzResult {
  if (res.status >= 500 && res.status <= 599) return { status: 'error', reason: `authorization service answered ${res.status}` };
  const pairs: [string, string][] = [];
  for (let i = 0; i < res.headers.length; i += 2) pairs.push([res.headers[i]!.toLowerCase(), res.headers[i + 1]!]);
  if (res.status === 200) {
    const remove = pairs.filter(([n]) => n === HEADERS_TO_REMOVE).flatMap(([, v]) => v.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== ''));
    const rest = pairs.filter(([n]) => n !== HEADERS_TO_REMOVE);
    return {
      status: 'ok',
      headersToSet: rest.filter(([n]) => matchesName(svc.upstream, n)),
      headersToAdd: rest.filter(([n]) => matchesName(svc.upstreamAppend, n)),
      headersToAppend: [],
      headersToRemove: remove,
      responseHeadersToAdd: rest.filter(([n]) => matchesName(svc.clientOnSuccess, n)),
    };
  }
  const client = svc.client;
  const toClient = pairs.filter(([n]) => n !== HEADERS_TO_REMOVE && !OWN_REPLY_HEADERS.has(n)
    && (client ? matchesName(client, n) || n === 'www-authenticate' || n === 'location' : n !== 'host'));
  return { status: 'denied', httpStatus: res.status, body: res.body.toString('utf8'), headers: toClient };
}
