/**
 * Downstream TLS from a filter chain's `DownstreamTlsContext` (Envoy `ServerContextImpl`), as node:tls
 * server options:
 *
 * - SIMPLE: the chain's certificate (`tls_certificates` from files/inline, or
 *   `tls_certificate_sds_secret_configs` from SDS); no client certificate requested.
 * - MUTUAL / ISTIO_MUTUAL (`require_client_certificate` with a validation context): a client
 *   certificate is required and verified against `trusted_ca` (inline, SDS, or combined); a missing
 *   or unverifiable one fails the connection; `match_typed_subject_alt_names` checked after the handshake.
 * - OPTIONAL_MUTUAL (a validation context without `require_client_certificate`): a certificate is
 *   requested; none is fine, but one that does not verify fails the connection, as in Envoy.
 *
 * `tls_params` apply (protocol versions, cipher suites, ECDH curves: `tls-params.ts`).
 *
 * ALPN: the context's `alpn_protocols` are offered only when the client offers one of them; with no
 * overlap no protocol is negotiated and the connection goes on (BoringSSL in Envoy), where node would
 * otherwise abort the handshake. The secure context is cached per context and secret generation, so
 * a rotated SDS certificate applies from the next connection on.
 */
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { FilterChain } from '../../xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import type { CertificateValidationContext } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import type { CommonTlsContext, DownstreamTlsContext } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { downstreamContextOf } from './contexts.js';
import { readDataSource } from './data-source.js';
import { checkSubjectAltNames, peerNames } from './peer.js';
import type { SecretStore } from './secrets.js';
import { tlsParamsOptions } from './tls-params.js';

/** A TLS problem: `code` says whether config is wrong (NACK) or a secret has not arrived yet (refuse connections until it does). */
export class TlsConfigError extends Error {
  constructor(readonly code: 'BAD_CONFIG' | 'SECRET_NOT_READY', readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'TlsConfigError';
  }
}

/** Server options for one connection. */
export interface DownstreamTlsOptions {
  readonly secureContext: SecureContext;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
  readonly ALPNProtocols: string[];
}

interface Material {
  readonly key: string;
  readonly secureContext: SecureContext;
  readonly validation: CertificateValidationContext | undefined;
  readonly hasCa: boolean;
}

/** Certificate and validation material of a CommonTlsContext, resolved against the secret store. */
export interface ResolvedMaterial {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
  readonly validation: CertificateValidationContext | undefined;
  /** Secret generations used, for cache keys. */
  readonly generations: string;
}

/**
 * Resolves a CommonTlsContext: the first certificate (inline/file, else SDS) and the validation
 * context (inline, SDS, or combined: SDS trusted_ca with the default context's SAN matchers).
 * Throws {@link TlsConfigError}: SECRET_NOT_READY when an SDS secret has not arrived, BAD_CONFIG otherwise.
 */
export function resolveMaterial(common: CommonTlsContext | undefined, secrets: SecretStore, field: string): ResolvedMaterial {
  const gens: string[] = [];
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  const inline = common?.tlsCertificates[0];
  const sds = common?.tlsCertificateSdsSecretConfigs[0];
  const read = (f: () => Buffer | undefined) => { try { return f(); } catch (e) { throw new TlsConfigError('BAD_CONFIG', field, (e as Error).message); } };
  if (inline) {
    cert = read(() => readDataSource(inline.certificateChain, 'tls_certificates[0].certificate_chain'));
    key = read(() => readDataSource(inline.privateKey, 'tls_certificates[0].private_key'));
  } else if (sds) {
    const s = secrets.certificate(sds.name);
    if (!s) throw new TlsConfigError('SECRET_NOT_READY', `${field}.tls_certificate_sds_secret_configs[0]`, `SDS secret "${sds.name}" (tls_certificate) has not been received`);
    cert = read(() => readDataSource(s.cert.certificateChain, `secret "${sds.name}" certificate_chain`));
    key = read(() => readDataSource(s.cert.privateKey, `secret "${sds.name}" private_key`));
    gens.push(`${sds.name}@${s.generation}`);
  }
  let validation: CertificateValidationContext | undefined;
  const v = common?.validationContextType;
  const fromSds = (name: string, at: string) => {
    const s = secrets.validationContext(name);
    if (!s) throw new TlsConfigError('SECRET_NOT_READY', `${field}.${at}`, `SDS secret "${name}" (validation_context) has not been received`);
    gens.push(`${name}@${s.generation}`);
    return s.ctx;
  };
  if (v?.case === 'validationContext') validation = v.value;
  else if (v?.case === 'validationContextSdsSecretConfig') validation = fromSds(v.value.name, 'validation_context_sds_secret_config');
  else if (v?.case === 'combinedValidationContext') {
    const dflt = v.value.defaultValidationContext;
    const dyn = v.value.validationContextSdsSecretConfig ? fromSds(v.value.validationContextSdsSecretConfig.name, 'combined_validation_context.validation_context_sds_secret_config') : undefined;
    validation = dyn && dflt ? { ...dyn, matchTypedSubjectAltNames: [...dyn.matchTypedSubjectAltNames, ...dflt.matchTypedSubjectAltNames], matchSubjectAltNames: [...dyn.matchSubjectAltNames, ...dflt.matchSubjectAltNames] } : dyn ?? dflt;
  } else if (v?.case) {
    throw new TlsConfigError('BAD_CONFIG', `${field}.${v.case}`, 'certificate provider validation is not supported; use validation_context, validation_context_sds_secret_config or combined_validation_context');
  }
  const ca = validation ? read(() => readDataSource(validation!.trustedCa, 'validation_context.trusted_ca')) : undefined;
  return { ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(ca ? { ca } : {}), validation, generations: gens.join(',') };
}

/** Builds node:tls server options for a chain's DownstreamTlsContext. */
export class DownstreamTls {
  private readonly cache = new WeakMap<DownstreamTlsContext, Material>();

  constructor(private readonly secrets: SecretStore) {}

  /**
   * Options for a chain; `offeredAlpn` is what the ClientHello offered (from the inspector).
   * Throws {@link TlsConfigError}.
   */
  options(chain: FilterChain, offeredAlpn?: readonly string[]): DownstreamTlsOptions {
    const ctx = this.context(chain);
    const m = this.material(ctx);
    const alpn = ctx.commonTlsContext?.alpnProtocols ?? [];
    const overlap = offeredAlpn === undefined ? alpn.length > 0 : alpn.some((p) => offeredAlpn.includes(p));
    const required = ctx.requireClientCertificate === true;
    return { secureContext: m.secureContext, requestCert: m.hasCa, rejectUnauthorized: required && m.hasCa, ALPNProtocols: overlap ? [...alpn] : [] };
  }

  /**
   * After the handshake: undefined to serve the connection, or why it must be closed (an optional
   * client certificate that did not verify; SAN matchers the peer does not satisfy).
   */
  verifyPeer(chain: FilterChain, socket: TLSSocket): string | undefined {
    const ctx = this.context(chain);
    const m = this.material(ctx);
    const names = peerNames(socket);
    const verifyError = chainVerifyError(socket);
    if (m.hasCa && names && verifyError) return `client certificate rejected: ${verifyError}`;
    if (m.hasCa && !names && ctx.requireClientCertificate) return 'client certificate required';
    if (names && m.validation) return checkSubjectAltNames(m.validation, names);
    return undefined;
  }

  private context(chain: FilterChain): DownstreamTlsContext {
    let ctx: DownstreamTlsContext | undefined;
    try { ctx = downstreamContextOf(chain); } catch (e) { throw new TlsConfigError('BAD_CONFIG', 'transport_socket', (e as Error).message.replace(/^transport_socket:? ?/, '')); }
    if (!ctx) throw new TlsConfigError('BAD_CONFIG', 'transport_socket', 'the chain has no DownstreamTlsContext');
    return ctx;
  }

  private material(ctx: DownstreamTlsContext): Material {
    const r = resolveMaterial(ctx.commonTlsContext, this.secrets, 'transport_socket.common_tls_context');
    const key = materialKey(r);
    const hit = this.cache.get(ctx);
    if (hit && hit.key === key) return hit;
    if (!r.cert || !r.key) throw new TlsConfigError('BAD_CONFIG', 'transport_socket.common_tls_context', 'no server certificate: set tls_certificates or tls_certificate_sds_secret_configs');
    if (ctx.requireClientCertificate && !r.ca) throw new TlsConfigError('BAD_CONFIG', 'transport_socket.require_client_certificate', 'a client certificate is required but there is no trusted_ca to verify it against; add a validation context');
    let secureContext: SecureContext;
    try {
      secureContext = createSecureContext({ cert: r.cert, key: r.key, ...(r.ca ? { ca: r.ca } : {}), ...tlsParamsOptions(ctx.commonTlsContext?.tlsParams) });
    } catch (e) {
      throw new TlsConfigError('BAD_CONFIG', 'transport_socket.common_tls_context', `certificate, key, CA or tls_params (protocol versions, cipher_suites, ecdh_curves) refused: ${(e as Error).message}`);
    }
    const m: Material = { key, secureContext, validation: r.validation, hasCa: !!r.ca };
    this.cache.set(ctx, m);
    return m;
  }
}

/** Identifies the material: SDS generations, and a digest of file/inline bytes (a file rotated on disk changes it). */
export function materialKey(r: ResolvedMaterial): string {
  const h = createHash('sha256');
  for (const b of [r.cert, r.key, r.ca]) { h.update(b ?? ''); h.update('\0'); }
  return `${r.generations}|${h.digest('base64')}`;
}

/**
 * OpenSSL's verdict on the peer's chain against the context's CA, or undefined when it verified.
 * node:tls records it on the handle and sets `authorized` only for sockets a `tls.Server` owns; a
 * TLSSocket made around an accepted socket (as the listener does after peeking) must ask the handle,
 * as `tls.Server` itself does.
 */
export function chainVerifyError(socket: TLSSocket): string | undefined {
  if (socket.authorized) return undefined;
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
  const err = handle?.verifyError?.();
  if (err) return err.code ?? err.message;
  if (handle?.verifyError) return undefined;
  return String(socket.authorizationError ?? 'not verified');
}
