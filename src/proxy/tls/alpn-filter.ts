/**
 * Istio's `istio.alpn` HTTP filter (istio/proxy `source/extensions/filters/http/alpn`): for each
 * request it picks the `FilterConfig.alpn_override` list for the upstream protocol and sets it as the
 * request's `envoy.network.application_protocols` filter state, which replaces the cluster's
 * `alpn_protocols` on the TLS connection the request goes out on. Here the filter puts the whole
 * table on the exchange ({@link Exchange.upstreamAlpn}); the router's attempt, which knows the
 * protocol it uses, picks the list and asks for a connection offering it. Plaintext upstreams
 * ignore it, as Envoy's raw-buffer sockets do.
 */
import type { Any } from '@bufbuild/protobuf/wkt';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { FilterConfig_Protocol, FilterConfigSchema } from '../../xds/gen/envoy/config/filter/http/alpn/v2alpha1/config_pb.js';
import { ConfigError } from '../config/config-error.js';
import type { HttpFilter, HttpFilterFactory, UpstreamAlpn } from '../http/pipeline.js';

/** The filter's name (istiod `AlpnFilterName`). */
export const ALPN_FILTER_NAME = 'istio.alpn';

const KEYS: Record<FilterConfig_Protocol, keyof UpstreamAlpn> = {
  [FilterConfig_Protocol.HTTP10]: 'http10',
  [FilterConfig_Protocol.HTTP11]: 'http11',
  [FilterConfig_Protocol.HTTP2]: 'http2',
};

/** The overrides of a `FilterConfig` (a later entry for the same protocol wins, as in Envoy); undefined when none is non-empty. */
export function compileAlpnConfig(config: Any | undefined): UpstreamAlpn | undefined {
  if (!config) throw new ConfigError('typed_config', `missing; ${ALPN_FILTER_NAME} needs a ${FilterConfigSchema.typeName}`);
  const f = anyUnpack(config, FilterConfigSchema);
  if (!f) throw new ConfigError('typed_config', `type ${config.typeUrl} is not type.googleapis.com/${FilterConfigSchema.typeName}`);
  const out: { -readonly [K in keyof UpstreamAlpn]: readonly string[] } = {};
  f.alpnOverride.forEach((o, i) => {
    const key = KEYS[o.upstreamProtocol];
    if (!key) throw new ConfigError(`alpn_override[${i}].upstream_protocol`, `${o.upstreamProtocol} is not HTTP10, HTTP11 or HTTP2`);
    if (o.alpnOverride.length > 0) out[key] = Object.freeze([...o.alpnOverride]);
    else delete out[key];
  });
  return Object.keys(out).length > 0 ? Object.freeze(out) : undefined;
}

const PASS: HttpFilter = { onRequest: () => undefined };

/** The `istio.alpn` factory: one frozen table per listener, set on each request. */
export const alpnFilterFactory: HttpFilterFactory = {
  typeUrls: [`type.googleapis.com/${FilterConfigSchema.typeName}`],
  create(config) {
    const table = compileAlpnConfig(config);
    if (!table) return PASS;
    return { onRequest(ex) { ex.upstreamAlpn = table; return undefined; } };
  },
};
