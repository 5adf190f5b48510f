/**
 * Envoy `tls_params` (`envoy.extensions.transport_sockets.tls.v3.TlsParameters`) as node:tls options:
 * `tls_minimum_protocol_version` / `tls_maximum_protocol_version` → `minVersion` / `maxVersion`
 * (TLS_AUTO keeps Node's defaults, TLS 1.2 to 1.3, which are Envoy's server defaults), `cipher_suites`
 * → `ciphers` (OpenSSL names, as BoringSSL's; an equal-preference group `[A|B]` is flattened; they
 * govern TLS 1.2 and below, as in Envoy), `ecdh_curves` → `ecdhCurve` (`X25519`, `P-256`, …).
 * A name OpenSSL does not know makes `createSecureContext` / `connect` throw, which the callers turn
 * into a refused config, as Envoy refuses a context with an unknown cipher or curve.
 */
import type { SecureVersion } from 'node:tls';
import { type TlsParameters, TlsParameters_TlsProtocol } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';

const VERSIONS: Partial<Record<TlsParameters_TlsProtocol, SecureVersion>> = {
  [TlsParameters_TlsProtocol.TLSv1_0]: 'TLSv1', [TlsParameters_TlsProtocol.TLSv1_1]: 'TLSv1.1',
  [TlsParameters_TlsProtocol.TLSv1_2]: 'TLSv1.2', [TlsParameters_TlsProtocol.TLSv1_3]: 'TLSv1.3',
};

/** node:tls options for `p`; empty when unset. */
export function tlsParamsOptions(p: TlsParameters | undefined): { minVersion?: SecureVersion; maxVersion?: SecureVersion; ciphers?: string; ecdhCurve?: string } {
  if (!p) return {};
  const min = VERSIONS[p.tlsMinimumProtocolVersion];
  const max = VERSIONS[p.tlsMaximumProtocolVersion];
  const ciphers = p.cipherSuites.flatMap((c) => c.replace(/^\[|\]$/g, '').split('|')).filter((c) => c !== '');
  return {
    ...(min ? { minVersion: min } : {}),
    ...(max ? { maxVersion: max } : {}),
    ...(ciphers.length > 0 ? { ciphers: ciphers.join(':') } : {}),
    ...(p.ecdhCurves.length > 0 ? { ecdhCurve: p.ecdhCurves.join(':') } : {}),
  };
}
