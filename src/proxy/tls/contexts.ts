/**
 * Finding the TLS contexts in xDS resources: a filter chain's `transport_socket` (a
 * `DownstreamTlsContext`), a cluster's `transport_socket` and `transport_socket_matches`
 * (`UpstreamTlsContext`), and Envoy's choice of a cluster's transport socket for one endpoint:
 * the first `transport_socket_matches` entry whose `match` fields all equal the endpoint's
 * `envoy.transport_socket_match` metadata, else the cluster's `transport_socket` (auto mTLS: Istio
 * matches `tlsMode: istio`).
 */
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { Cluster } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { TransportSocket } from '../../xds/gen/envoy/config/core/v3/base_pb.js';
import type { FilterChain } from '../../xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { type DownstreamTlsContext, DownstreamTlsContextSchema, type UpstreamTlsContext, UpstreamTlsContextSchema } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';

export const TLS_SOCKET = 'envoy.transport_sockets.tls';
export const RAW_BUFFER_SOCKET = 'envoy.transport_sockets.raw_buffer';
/** Endpoint metadata namespace `transport_socket_matches` compare against. */
export const TRANSPORT_SOCKET_MATCH = 'envoy.transport_socket_match';

/** Whether a transport socket is plaintext (absent, or raw_buffer). */
export function isRawBuffer(ts: TransportSocket | undefined): boolean {
  if (!ts) return true;
  const url = ts.configType.case === 'typedConfig' ? ts.configType.value.typeUrl : '';
  return url === '' ? ts.name === RAW_BUFFER_SOCKET || ts.name === '' || ts.name === 'raw_buffer' : url.endsWith('.RawBuffer');
}

function unpack<T extends DownstreamTlsContext | UpstreamTlsContext>(ts: TransportSocket, schema: typeof DownstreamTlsContextSchema | typeof UpstreamTlsContextSchema, field: string): T {
  if (ts.configType.case !== 'typedConfig') throw new Error(`${field}: "${ts.name}" has no typed_config; use ${TLS_SOCKET} with a ${schema.typeName}`);
  const any = ts.configType.value;
  if (!any.typeUrl.endsWith(`/${schema.typeName}`)) throw new Error(`${field}.typed_config: type ${any.typeUrl} is not ${schema.typeName}; supported transport sockets: ${TLS_SOCKET}, ${RAW_BUFFER_SOCKET}`);
  return anyUnpack(any, schema as typeof DownstreamTlsContextSchema) as T;
}

/** The chain's DownstreamTlsContext, or undefined for a plaintext chain. Throws naming the field for another socket type. */
export function downstreamContextOf(chain: FilterChain): DownstreamTlsContext | undefined {
  if (isRawBuffer(chain.transportSocket)) return undefined;
  return unpack<DownstreamTlsContext>(chain.transportSocket!, DownstreamTlsContextSchema, 'transport_socket');
}

/** Every UpstreamTlsContext of a cluster (default socket and each match), for SDS subscriptions. */
export function upstreamContextsOf(c: Cluster): UpstreamTlsContext[] {
  const out: UpstreamTlsContext[] = [];
  if (!isRawBuffer(c.transportSocket)) out.push(unpack<UpstreamTlsContext>(c.transportSocket!, UpstreamTlsContextSchema, 'transport_socket'));
  c.transportSocketMatches.forEach((m, i) => {
    if (!isRawBuffer(m.transportSocket)) out.push(unpack<UpstreamTlsContext>(m.transportSocket!, UpstreamTlsContextSchema, `transport_socket_matches[${i}].transport_socket`));
  });
  return out;
}

/**
 * The UpstreamTlsContext for one endpoint (undefined: plaintext), with the name of the match that
 * chose it. `metadata` is the endpoint's `filter_metadata["envoy.transport_socket_match"]`.
 */
export function upstreamContextFor(c: Cluster, metadata: JsonObject | undefined): { ctx: UpstreamTlsContext | undefined; match: string | undefined } {
  for (const [i, m] of c.transportSocketMatches.entries()) {
    if (!matches(m.match ?? {}, metadata ?? {})) continue;
    const ctx = isRawBuffer(m.transportSocket) ? undefined : unpack<UpstreamTlsContext>(m.transportSocket!, UpstreamTlsContextSchema, `transport_socket_matches[${i}].transport_socket`);
    return { ctx, match: m.name };
  }
  const ctx = isRawBuffer(c.transportSocket) ? undefined : unpack<UpstreamTlsContext>(c.transportSocket!, UpstreamTlsContextSchema, 'transport_socket');
  return { ctx, match: undefined };
}

function matches(want: JsonObject, have: JsonObject): boolean {
  return Object.entries(want).every(([k, v]) => same(v, have[k]));
}

function same(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
