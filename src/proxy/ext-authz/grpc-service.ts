/**
 * ext_authz's gRPC authorization service (`envoy.service.auth.v3.Authorization/Check`, Envoy
 * `ext_authz_grpc_impl.cc` and `check_request_utils.cc`).
 *
 * The call goes through the proxy's own cluster (the core's async client over HTTP/2), not a
 * separate gRPC library: the provider's cluster then keeps its load balancing and its transport
 * socket (ISTIO_MUTUAL, SDS certificates), as Envoy's `envoy_grpc` does; a gRPC library would dial
 * the address itself with credentials of its own. The framing is gRPC's length-prefixed message
 * with `grpc-timeout`; the status comes from the trailers (or a trailers-only response).
 *
 * The answer: a failed call (transport error, timeout, non-OK `grpc-status`, an unreadable message)
 * is an error; `CheckResponse.status.code` 0 allows with `ok_response`'s header edits; any other code
 * denies with `denied_response` (status, default 403; body; headers).
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import type { Address } from '../../xds/gen/envoy/config/core/v3/address_pb.js';
import { type HeaderValueOption, HeaderValueOption_HeaderAppendAction as AppendAction } from '../../xds/gen/envoy/config/core/v3/base_pb.js';
import { type CheckRequest, CheckRequestSchema, type CheckResponse, CheckResponseSchema } from '../../xds/gen/envoy/service/auth/v3/external_auth_pb.js';
import type { TLSSocket } from 'node:tls';
import type { AsyncRequest, AsyncResponse, ConnectionInfo, Exchange } from '../http/pipeline.js';
import { certificateNames, peerSpiffeId } from '../tls/peer.js';
import type { AuthzResult, HeaderPairs } from './check.js';
import type { GrpcServiceConfig } from './config.js';

export const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';

function socketAddress(address: string, port: number): Address {
  return { address: { case: 'socketAddress', value: { address, portSpecifier: { case: 'portValue', value: port } } } } as Address;
}

/** The local certificate's URI SAN (the destination principal), when the connection is TLS. */
function localPrincipal(tls: TLSSocket | undefined): string {
  const cert = tls?.getCertificate();
  if (!cert || !('raw' in cert) || !cert.raw) return '';
  try { return certificateNames(cert.raw).uriSans[0] ?? ''; } catch { return ''; }
}

/**
 * The CheckRequest of a request (`CheckRequestUtils::createHttpCheck`): source and destination
 * addresses and principals (URI SANs of the peer and local certificates), and the HTTP request:
 * id (`x-request-id`), method, the allowed headers, path, host, scheme, size (`content-length`, else
 * -1), protocol, and the buffered body when one is sent.
 */
export function checkRequest(ex: Exchange, headers: HeaderPairs, body: Buffer | null): CheckRequest {
  const map: Record<string, string> = {};
  for (const [n, v] of headers) map[n] = n in map ? `${map[n]},${v}` : v;
  const cl = ex.headers['content-length'];
  const d = ex.downstream;
  return create(CheckRequestSchema, {
    attributes: {
      source: { address: socketAddress(d.remoteAddress, d.remotePort), principal: peerSpiffeId(d.tls) ?? '' },
      destination: { address: socketAddress(d.localAddress, d.localPort), principal: localPrincipal(d.tls) },
      request: {
        time: timestampNow(),
        http: {
          id: (ex.headers['x-request-id'] as string | undefined) ?? (ex as { requestId?: string }).requestId ?? '',
          method: ex.method, headers: map, path: ex.path, host: ex.authority, scheme: ex.scheme,
          size: typeof cl === 'string' && /^\d+$/.test(cl) ? BigInt(cl) : -1n,
          protocol: d.protocol,
          ...(body && body.length > 0 ? { body: body.toString('utf8') } : {}),
        },
      },
    },
  });
}

/** The CheckRequest of a TCP connection (network ext_authz): source and destination addresses and principals only. */
export function networkCheckRequest(info: ConnectionInfo, tls: TLSSocket | undefined): CheckRequest {
  return create(CheckRequestSchema, {
    attributes: {
      source: { address: socketAddress(info.remoteAddress, info.remotePort ?? 0), principal: peerSpiffeId(tls) ?? '' },
      destination: { address: socketAddress(info.localAddress, info.localPort), principal: localPrincipal(tls) },
    },
  });
}

/** The HTTP/2 request carrying one Check call. */
export function grpcCheckRequest(svc: GrpcServiceConfig, req: CheckRequest, maxResponseBytes: number, signal?: AbortSignal): AsyncRequest {
  const msg = toBinary(CheckRequestSchema, req);
  const frame = Buffer.alloc(5 + msg.length);
  frame.writeUInt32BE(msg.length, 1);
  frame.set(msg, 5);
  const headers = ['content-type', 'application/grpc', 'te', 'trailers'];
  if (svc.timeoutMs > 0) headers.push('grpc-timeout', `${svc.timeoutMs}m`);
  for (const [n, v] of svc.initialMetadata) headers.push(n, v);
  return { method: 'POST', path: CHECK_PATH, authority: svc.authority, headers, body: frame, http2: true, timeoutMs: svc.timeoutMs, maxResponseBytes, ...(signal ? { signal } : {}) };
}

function header(flat: readonly string[], name: string): string | undefined {
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.toLowerCase() === name) return flat[i + 1];
  return undefined;
}

/** The CheckResponse of a gRPC response, or why the call failed. */
export function decodeCheckResponse(res: AsyncResponse): CheckResponse | string {
  if (res.status !== 200) return `HTTP status ${res.status}`;
  const status = header(res.trailers, 'grpc-status') ?? header(res.headers, 'grpc-status');
  if (status === undefined) return 'no grpc-status';
  if (status !== '0') return `grpc-status ${status}${(() => { const m = header(res.trailers, 'grpc-message') ?? header(res.headers, 'grpc-message'); return m ? ` (${decodeURIComponent(m)})` : ''; })()}`;
  const b = res.body;
  if (b.length < 5) return 'no response message';
  if (b[0] !== 0) return 'compressed response messages are not supported';
  const len = b.readUInt32BE(1);
  if (b.length < 5 + len) return 'truncated response message';
  try {
    return fromBinary(CheckResponseSchema, b.subarray(5, 5 + len));
  } catch (e) {
    return `unreadable CheckResponse: ${(e as Error).message}`;
  }
}

/**
 * Splits `HeaderValueOption`s by how they apply (Envoy's gRPC client): `append` when set decides
 * (true: append to an existing value, false: set); otherwise `append_action`.
 */
function splitOptions(opts: readonly HeaderValueOption[]): { set: [string, string][]; add: [string, string][]; append: [string, string][] } {
  const out = { set: [] as [string, string][], add: [] as [string, string][], append: [] as [string, string][] };
  for (const o of opts) {
    if (!o.header) continue;
    const pair: [string, string] = [o.header.key.toLowerCase(), o.header.value];
    if (o.append !== undefined) (o.append ? out.append : out.set).push(pair);
    else if (o.appendAction === AppendAction.OVERWRITE_IF_EXISTS_OR_ADD || o.appendAction === AppendAction.OVERWRITE_IF_EXISTS) out.set.push(pair);
    else out.add.push(pair);
  }
  return out;
}

/** The authorization result of a gRPC response. */
export function grpcCheckResult(res: AsyncResponse): AuthzResult {
  const r = decodeCheckResponse(res);
  if (typeof r === 'string') return { status: 'error', reason: `Check call failed: ${r}` };
  if ((r.status?.code ?? 0) === 0) {
    const ok = r.httpResponse.case === 'okResponse' ? r.httpResponse.value : undefined;
    const h = splitOptions(ok?.headers ?? []);
    const resp = splitOptions(ok?.responseHeadersToAdd ?? []);
    return {
      status: 'ok', headersToSet: h.set, headersToAdd: h.add, headersToAppend: h.append,
      headersToRemove: (ok?.headersToRemove ?? []).map((n) => n.toLowerCase()),
      responseHeadersToAdd: [...resp.set, ...resp.add, ...resp.append],
    };
  }
  const denied = r.httpResponse.case === 'deniedResponse' ? r.httpResponse.value : undefined;
  const code = denied?.status?.code;
  return {
    status: 'denied', httpStatus: code !== undefined && code >= 100 ? code : 403, body: denied?.body ?? '',
    headers: (denied?.headers ?? []).filter((o) => o.header).map((o) => [o.header!.key.toLowerCase(), o.header!.value] as const),
  };
}
