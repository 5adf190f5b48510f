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
 *
 * Callers ask for options once per new connection, so an SDS update applies to the next connection
 * (Envoy rebuilds the client context on a secret update; open connections keep theirs). The options
 * object stays the same while the cluster and its material do, so a connector built from it (and its
 * TLS session cache) can be kept until the material changes.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import type { Cluster } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { UpstreamTlsContext } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { upstreamContextFor } from './contexts.js';
import { materialKey, type ResolvedMaterial, resolveMaterial, TlsConfigError } from './downstream.js';
import { certificateNames, checkSubjectAltNames } from './peer.js';
import type { SecretStore } from './secrets.js';
import { tlsParamsOptions } from './tls-params.js';

/** Builds node:tls client options for a cluster's endpoints. */
export class UpstreamTls {
  /** Per cluster resource and chosen socket (match name, '' for `transport_socket`): the last options and the material they were built from. */
  private readonly cache = new WeakMap<Cluster, Map<string, { key: string; opts: ConnectionOptions }>>();

  constructor(private readonly secrets: SecretStore) {}

  /**
   * Options for connecting to one endpoint of `cluster`, or undefined for plaintext. `metadata` is
   * the endpoint's `envoy.transport_socket_match` metadata. Throws {@link TlsConfigError}
   * (SECRET_NOT_READY before SDS delivered `default`/`ROOTCA`).
   */
  options(cluster: Cluster, metadata: JsonObject | undefined): ConnectionOptions | undefined {
    let chosen: { ctx: UpstreamTlsContext | undefined; match: string | undefined };
    try {
      chosen = upstreamContextFor(cluster, metadata);
    } catch (e) {
      throw new TlsConfigError('BAD_CONFIG', 'transport_socket', (e as Error).message);
    }
    if (!chosen.ctx) return undefined;
    const r = resolveMaterial(chosen.ctx.commonTlsContext, this.secrets, 'transport_socket.common_tls_context');
    const key = materialKey(r);
    let slots = this.cache.get(cluster);
    if (!slots) { slots = new Map(); this.cache.set(cluster, slots); }
    const hit = slots.get(chosen.match ?? '');
    if (hit?.key === key) return hit.opts;
    const opts = this.build(chosen.ctx, r);
    slots.set(chosen.match ?? '', { key, opts });
    return opts;
  }

  /** Client options from one UpstreamTlsContext, with the secrets as they are now. */
  fromContext(ctx: UpstreamTlsContext): ConnectionOptions {
    return this.build(ctx, resolveMaterial(ctx.commonTlsContext, this.secrets, 'transport_socket.common_tls_context'));
  }

  private build(ctx: UpstreamTlsContext, r: ResolvedMaterial): ConnectionOptions {
    const validation = r.validation;
    const alpn = ctx.commonTlsContext?.alpnProtocols ?? [];
    const opts: ConnectionOptions = {
      ...(r.cert && r.key ? { cert: r.cert, key: r.key } : {}),
      ...(r.ca ? { ca: r.ca } : {}),
      rejectUnauthorized: !!r.ca,
      ...(ctx.sni ? { servername: ctx.sni } : { servername: '' }),
      ...(alpn.length ? { ALPNProtocols: [...alpn] } : {}),
      // tls_params; TLS_AUTO keeps Node's client defaults (Envoy's clients stop at 1.2).
      ...tlsParamsOptions(ctx.commonTlsContext?.tlsParams),
      checkServerIdentity: (_host: string, cert: PeerCertificate) => {
        if (!validation || !cert.raw) return undefined;
        const problem = checkSubjectAltNames(validation, certificateNames(cert.raw));
        return problem ? Object.assign(new Error(problem), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }) : undefined;
      },
    };
    return opts;
  }
}
