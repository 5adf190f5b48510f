/**
 * Istio's `istio.alpn` HTTP filter (pilot `xds/filters/filters.go` `Alpn`), which istiod puts on every
 * HCM but a sidecar's inbound ones: for a request sent upstream over TLS it replaces the cluster's
 * `alpn_protocols` with the list for the upstream protocol, so the server sidecar's inbound listener
 * can choose its HTTP filter chain by `application_protocols` on a protocol-sniffed port.
 */
import { create } from '@bufbuild/protobuf';
import { packAny as anyPack } from '../encode.js';
import { FilterConfig_Protocol, FilterConfigSchema } from '../gen/envoy/config/filter/http/alpn/v2alpha1/config_pb.js';

/** The filter's name (istiod `AlpnFilterName`). */
export const ALPN_FILTER = 'istio.alpn';

/** ALPN for HTTP/1.0 upstream over mTLS (istiod `mtlsHTTP10ALPN`). */
export const MTLS_HTTP10_ALPN: readonly string[] = ['istio-http/1.0', 'istio', 'http/1.0'];
/** ALPN for HTTP/1.1 upstream over mTLS (istiod `mtlsHTTP11ALPN`). */
export const MTLS_HTTP11_ALPN: readonly string[] = ['istio-http/1.1', 'istio', 'http/1.1'];
/** ALPN for HTTP/2 upstream over mTLS (istiod `mtlsHTTP2ALPN`). */
export const MTLS_HTTP2_ALPN: readonly string[] = ['istio-h2', 'istio', 'h2'];

/** The `istio.alpn` filter entry as istiod writes it (one override per upstream protocol). */
export function alpnFilter() {
  const config = anyPack(FilterConfigSchema, create(FilterConfigSchema, {
    alpnOverride: [
      { upstreamProtocol: FilterConfig_Protocol.HTTP10, alpnOverride: [...MTLS_HTTP10_ALPN] },
      { upstreamProtocol: FilterConfig_Protocol.HTTP11, alpnOverride: [...MTLS_HTTP11_ALPN] },
      { upstreamProtocol: FilterConfig_Protocol.HTTP2, alpnOverride: [...MTLS_HTTP2_ALPN] },
    ],
  }));
  return { name: ALPN_FILTER, configType: { case: 'typedConfig' as const, value: config } };
}
