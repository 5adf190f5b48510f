/**
 * Upstream TLS from a Cluster's `transport_socket` / `transport_socket_matches` (`UpstreamTlsContext`,
 * Envoy `ClientContextImpl`), as node:tls client options:
 *
 * - `sni` as the ClientHello server name (none when empty);
 * - the client certificate (`tls_certificates`, or SDS `default` for ISTIO_MUTUAL);
 * - verification against `trusted_ca` (inline, SDS `ROOTCA`, or combined) when a validation context
 *   has one; without one the server is not verified, as in Envoy;
 * - no host-name check (Envoy checks only the configured SAN matchers): `match_typed_subject_alt_names`
 *   (Istio: the destination's SPIFFE URI) must match the server certificate, else the connection fails;
 * - ALPN: the context's `alpn_protocols` (Istio: `istio-peer-exchange`, `istio`).
 *
 * Auto mTLS: the endpoint's `envoy.transport_socket_match` metadata picks the socket
 * (`tlsMode: istio` → ISTIO_MUTUAL, otherwise plaintext).
 */
import type { JsonObject } from '@bufbuild/protobuf';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import type { Cluster } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { UpstreamTlsContext } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { upstreamContextFor } from './contexts.js';
import { resolveMaterial, TlsConfigError } from './downstream.js';
import { certificateNames, checkSubjectAltNames } from './peer.js';
import type { SecretStore } from './secrets.js';

/** Builds node:tls client options for a cluster's endpoints. */
export class UpstreamTls {
  constructor(private readonly secrets: SecretStore) {}

  /**
   * Options for connecting to one endpoint of `cluster`, or undefined for plaintext. `metadata` is
   * the endpoint's `envoy.transport_socket_match` metadata. Throws {@link TlsConfigError}
   * (SECRET_NOT_READY before SDS delivered `default`/`ROOTCA`).
   */
  options(cluster: Cluster, metadata: JsonObject | undefined): ConnectionOptions | undefined {
    let ctx: UpstreamTlsContext | undefined;
    try {
      ctx = upstreamContextFor(cluster, metadata).ctx;
    } catch (e) {
      throw new TlsConfigError('BAD_CONFIG', 'transport_socket', (e as Error).message);
    }
    if (!ctx) return undefined;
    return this.fromContext(ctx);
  }

  /** Client options from one UpstreamTlsContext. */
  fromContext(ctx: UpstreamTlsContext): ConnectionOptions {
    const r = resolveMaterial(ctx.commonTlsContext, this.secrets, 'transport_socket.common_tls_context');
    const validation = r.validation;
    const alpn = ctx.commonTlsContext?.alpnProtocols ?? [];
    const opts: ConnectionOptions = {
      ...(r.cert && r.key ? { cert: r.cert, key: r.key } : {}),
      ...(r.ca ? { ca: r.ca } : {}),
      rejectUnauthorized: !!r.ca,
      ...(ctx.sni ? { servername: ctx.sni } : { servername: '' }),
      ...(alpn.length ? { ALPNProtocols: [...alpn] } : {}),
      checkServerIdentity: (_host: string, cert: PeerCertificate) => {
        if (!validation || !cert.raw) return undefined;
        const problem = checkSubjectAltNames(validation, certificateNames(cert.raw));
        return problem ? Object.assign(new Error(problem), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }) : undefined;
      },
    };
    return opts;
  }
}
