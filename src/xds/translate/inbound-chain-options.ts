/**
 * Which filter chains istiod builds for one inbound port, and the listener filters those chains
 * need: `pilot/pkg/networking/core/filterchain_options.go` (`getFilterChainMatchOptions`) and
 * `listener_inbound.go` (`populateListenerFilters`, `buildTLSInspector`, `buildHTTPInspector`).
 */
import { create } from '@bufbuild/protobuf';
import { packAny as anyPack } from '../encode.js';
import type { FilterChain, ListenerFilter, ListenerFilterChainMatchPredicate } from '../gen/envoy/config/listener/v3/listener_components_pb.js';
import { ListenerFilterSchema } from '../gen/envoy/config/listener/v3/listener_components_pb.js';
import { HttpInspectorSchema } from '../gen/envoy/extensions/filters/listener/http_inspector/v3/http_inspector_pb.js';
import { TlsInspectorSchema } from '../gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb.js';
import type { MtlsMode } from '../../mesh/policy.js';

/** Envoy `filter_chain_match.transport_protocol` values the TLS inspector sets. */
export type TransportProtocol = 'tls' | 'raw_buffer';

/**
 * istiod's `istionetworking.ListenerProtocol` of a port: `http` (an HTTP protocol is declared),
 * `tcp` (another one is), `auto` (none: sniffed, and the passthrough chains of undeclared ports).
 */
export type InboundListenerProtocol = 'http' | 'tcp' | 'auto';

/** One chain of a port (istiod `FilterChainMatchOptions`). */
export interface ChainOption {
  /** An HTTP connection manager (`ListenerProtocolHTTP`), else network filters and a `tcp_proxy`. */
  readonly http: boolean;
  readonly transportProtocol: TransportProtocol;
  /** `filter_chain_match.application_protocols`: ALPN (tls) or what `http_inspector` sniffed (raw_buffer). */
  readonly applicationProtocols: readonly string[];
  /** Terminates ISTIO_MUTUAL (`TLS: true`); a `tls` chain without it passes the client's TLS to the application. */
  readonly terminate: boolean;
  /** Suffix of meshproof's chain name: `mtls`, `plaintext`, `tls` (TLS passed through), `_http` added on `auto` ports' HTTP chains. */
  readonly name: string;
}

/** ALPN a client sidecar sets for HTTP it sends over mTLS (istiod `mtlsHTTPALPNs`, set by its `istio.alpn` filter). */
export const MTLS_HTTP_ALPNS: readonly string[] = ['istio-http/1.0', 'istio-http/1.1', 'istio-h2'];
/** What `http_inspector` reports for plaintext HTTP (istiod `plaintextHTTPALPNs`, without `http/1.0`: `PILOT_HTTP10` off). */
export const PLAINTEXT_HTTP_ALPNS: readonly string[] = ['http/1.1', 'h2c'];
/** ALPN of TCP over mTLS from a sidecar (istiod `mtlsTCPWithMxcALPNs`). */
export const MTLS_TCP_ALPNS: readonly string[] = ['istio-peer-exchange', 'istio'];

const opt = (http: boolean, transportProtocol: TransportProtocol, applicationProtocols: readonly string[], terminate: boolean, name: string): ChainOption =>
  ({ http, transportProtocol, applicationProtocols, terminate, name });

/**
 * istiod's tables, by listener protocol and mTLS mode (`inbound{Strict,Permissive,PlainText}{,HTTP,TCP}FilterChainMatch…Options`).
 * `auto`, as istiod: STRICT = HTTP over mTLS (istio-http ALPN) + TCP over mTLS; PERMISSIVE = those two
 * (TCP over mTLS on Istio's TCP ALPN), plaintext HTTP (`http/1.1`, `h2c` from http_inspector),
 * plaintext TCP, and TLS no sidecar sent (no Istio ALPN: passed through to the application);
 * DISABLE = plaintext HTTP + plaintext TCP.
 * `http` and `tcp` (declared ports) keep one chain per transport with no `application_protocols`: istiod
 * also requires Istio's ALPN on a PERMISSIVE port's mTLS chain and passes TLS without it through on
 * PERMISSIVE TCP ports; meshproof's chains there accept any ALPN and terminate every TLS connection.
 */
const OPTIONS: Readonly<Record<InboundListenerProtocol, Readonly<Record<MtlsMode, readonly ChainOption[]>>>> = {
  http: {
    STRICT: [opt(true, 'tls', [], true, 'mtls')],
    PERMISSIVE: [opt(true, 'tls', [], true, 'mtls'), opt(true, 'raw_buffer', [], false, 'plaintext')],
    DISABLE: [opt(true, 'raw_buffer', [], false, 'plaintext')],
  },
  tcp: {
    STRICT: [opt(false, 'tls', [], true, 'mtls')],
    PERMISSIVE: [opt(false, 'tls', [], true, 'mtls'), opt(false, 'raw_buffer', [], false, 'plaintext')],
    DISABLE: [opt(false, 'raw_buffer', [], false, 'plaintext')],
  },
  auto: {
    STRICT: [opt(true, 'tls', MTLS_HTTP_ALPNS, true, 'mtls_http'), opt(false, 'tls', [], true, 'mtls')],
    PERMISSIVE: [
      opt(true, 'tls', MTLS_HTTP_ALPNS, true, 'mtls_http'), opt(true, 'raw_buffer', PLAINTEXT_HTTP_ALPNS, false, 'plaintext_http'),
      opt(false, 'tls', MTLS_TCP_ALPNS, true, 'mtls'), opt(false, 'raw_buffer', [], false, 'plaintext'), opt(false, 'tls', [], false, 'tls'),
    ],
    DISABLE: [opt(true, 'raw_buffer', PLAINTEXT_HTTP_ALPNS, false, 'plaintext_http'), opt(false, 'raw_buffer', [], false, 'plaintext')],
  },
};

/** istiod `getFilterChainMatchOptions(mtls, protocol)`: the chains of a port, in istiod's order. */
export function chainOptions(protocol: InboundListenerProtocol, mode: MtlsMode): readonly ChainOption[] {
  return OPTIONS[protocol][mode];
}

const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';
const HTTP_INSPECTOR = 'envoy.filters.listener.http_inspector';

/**
 * istiod's `populateListenerFilters` without `original_dst` (no redirection here): `tls_inspector` when
 * a chain matches `transport_protocol: tls`, then `http_inspector` when a chain matches `http/1.1` or
 * `h2c`, each switched off (`filter_disabled`, destination port ranges) on the ports none of whose
 * chains needs it. Port-less (passthrough) chains stand for every other port: when they need an
 * inspector it is off only on the listed ports that do not, else on only on those that do.
 */
export function inboundListenerFilters(chains: readonly FilterChain[]): ListenerFilter[] {
  const need = new Map<number, { tls: boolean; http: boolean }>();
  for (const c of chains) {
    const port = c.filterChainMatch?.destinationPort ?? 0;
    const n = need.get(port) ?? { tls: false, http: false };
    n.tls ||= c.filterChainMatch?.transportProtocol === 'tls';
    n.http ||= (c.filterChainMatch?.applicationProtocols ?? []).some((a) => a === 'http/1.1' || a === 'h2c');
    need.set(port, n);
  }
  const out: ListenerFilter[] = [];
  for (const [name, which, schema] of [[TLS_INSPECTOR, 'tls', TlsInspectorSchema], [HTTP_INSPECTOR, 'http', HttpInspectorSchema]] as const) {
    if (![...need.values()].some((n) => n[which])) continue;
    // buildTLSInspector decides by the passthrough chains' need; buildHTTPInspector always lists the
    // ports that do not need it (port 0 among them when the passthrough chains do not).
    const defaultOn = which === 'http' || need.get(0)?.[which] === true;
    const listed = [...need].filter(([p, n]) => (which === 'http' || p !== 0) && n[which] !== defaultOn).map(([p]) => p).sort((a, b) => a - b);
    const typedConfig = anyPack(schema as typeof TlsInspectorSchema, create(schema as typeof TlsInspectorSchema));
    out.push(create(ListenerFilterSchema, {
      name,
      configType: { case: 'typedConfig', value: typedConfig },
      ...(listed.length === 0 ? {} : { filterDisabled: defaultOn ? portsPredicate(listed) : { rule: { case: 'notMatch', value: portsPredicate(listed) } } }),
    }));
  }
  return out;
}

/** istiod `listenerPredicateExcludePorts`: a `destination_port_range` [p, p+1) per port, ORed when more than one. */
function portsPredicate(ports: readonly number[]): ListenerFilterChainMatchPredicate {
  const ranges = ports.map((p) => ({ rule: { case: 'destinationPortRange' as const, value: { start: p, end: p + 1 } } }));
  return (ranges.length > 1 ? { rule: { case: 'orMatch', value: { rules: ranges } } } : ranges[0]!) as ListenerFilterChainMatchPredicate;
}
