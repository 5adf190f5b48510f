/**
 * SDS secrets received over the ADS stream (`type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret`):
 * `default` (the workload certificate), `ROOTCA` (the mesh root), `kubernetes://<credentialName>`
 * (a gateway certificate) and `kubernetes://<credentialName>-cacert` (its client CA); and, as Istio's
 * agent serves them from local files rather than over ADS, `file-cert:<cert>~<key>`, `file-root:<ca>`
 * and `file-root:system` (DestinationRule file certificates and the system roots). The names to
 * subscribe to are the ones the current listeners and clusters reference. Like RDS and EDS, a
 * response updates the secrets it carries; a rotated secret applies to new connections (each
 * handshake reads the store), while open connections keep the certificate they started with.
 */
import { createSecureContext, rootCertificates } from 'node:tls';
import { create } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { Cluster } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { Listener } from '../../xds/gen/envoy/config/listener/v3/listener_pb.js';
import type { CertificateValidationContext, TlsCertificate } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { type Secret, SecretSchema } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import type { CommonTlsContext } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { readDataSource } from './data-source.js';
import { downstreamContextOf, upstreamContextsOf } from './contexts.js';

export const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/** One applied secret with a generation counter (bumped on every change, so cached contexts rebuild). */
export interface StoredSecret {
  readonly secret: Secret;
  readonly version: string;
  readonly generation: number;
}

/** SDS names a CommonTlsContext references (certificates and validation contexts). */
export function sdsNamesOf(ctx: CommonTlsContext | undefined): string[] {
  if (!ctx) return [];
  const out = ctx.tlsCertificateSdsSecretConfigs.map((s) => s.name);
  const v = ctx.validationContextType;
  if (v.case === 'validationContextSdsSecretConfig') out.push(v.value.name);
  if (v.case === 'combinedValidationContext' && v.value.validationContextSdsSecretConfig) out.push(v.value.validationContextSdsSecretConfig.name);
  return out;
}

/** Prefix of a certificate and key read from files (Istio `file-cert:<cert>~<key>`). */
export const FILE_CERT_PREFIX = 'file-cert:';
/** Prefix of a CA bundle read from a file (Istio `file-root:<path>`; `file-root:system`: the system trust roots). */
export const FILE_ROOT_PREFIX = 'file-root:';
/** The system trust roots (Istio `FileRootSystemCACert`). */
export const SYSTEM_ROOTS = 'file-root:system';

/** Whether a name is served from local files, as Istio's agent serves it, rather than over ADS. */
export function isFileSecret(name: string): boolean {
  return name.startsWith(FILE_CERT_PREFIX) || name.startsWith(FILE_ROOT_PREFIX);
}

/**
 * A `file-cert:`/`file-root:` secret as Istio's agent answers it: the files named (read again for
 * each new connection, so a rotated file applies to the next one), or for `file-root:system` the
 * system trust roots (Node's bundled roots, `tls.rootCertificates`). Undefined for other names.
 */
function fileSecret(name: string): Secret | undefined {
  const file = (filename: string) => ({ specifier: { case: 'filename' as const, value: filename } });
  if (name === SYSTEM_ROOTS) return create(SecretSchema, { name, type: { case: 'validationContext', value: { trustedCa: { specifier: { case: 'inlineString', value: rootCertificates.join('\n') } } } } });
  if (name.startsWith(FILE_ROOT_PREFIX)) return create(SecretSchema, { name, type: { case: 'validationContext', value: { trustedCa: file(name.slice(FILE_ROOT_PREFIX.length)) } } });
  if (name.startsWith(FILE_CERT_PREFIX)) {
    const [cert, key] = name.slice(FILE_CERT_PREFIX.length).split('~');
    if (cert && key) return create(SecretSchema, { name, type: { case: 'tlsCertificate', value: { certificateChain: file(cert), privateKey: file(key) } } });
  }
  return undefined;
}

/** The secret store; also the `ExtraResourceType` the ADS client subscribes with. */
export class SecretStore {
  readonly typeUrl = SECRET_TYPE_URL;
  private readonly secrets = new Map<string, StoredSecret>();
  private generation = 0;

  /** Names referenced by the listeners' DownstreamTlsContexts and the clusters' UpstreamTlsContexts (transport_socket_matches included). */
  names(listeners: readonly Listener[], clusters: readonly Cluster[]): string[] {
    const out = new Set<string>();
    for (const l of listeners) {
      for (const chain of [...l.filterChains, ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])]) {
        try { for (const n of sdsNamesOf(downstreamContextOf(chain)?.commonTlsContext)) out.add(n); } catch { /* the listener's NACK names it */ }
      }
    }
    for (const c of clusters) {
      try { for (const ctx of upstreamContextsOf(c)) for (const n of sdsNamesOf(ctx.commonTlsContext)) out.add(n); } catch { /* the cluster's NACK names it */ }
    }
    return [...out].filter((n) => !isFileSecret(n)).sort();
  }

  /**
   * Applies one SDS response. Each secret is checked (a certificate and key Node's TLS accepts, a CA
   * that parses); a bad one keeps its last good version and is reported as
   * `Secret "<name>": <field>: <problem>`.
   */
  apply(resources: readonly Any[], version: string): string[] {
    const errors: string[] = [];
    resources.forEach((any, i) => {
      if (any.typeUrl !== SECRET_TYPE_URL) { errors.push(`resources[${i}]: type ${any.typeUrl} in an SDS response; expected ${SECRET_TYPE_URL}`); return; }
      let s: Secret;
      try { s = anyUnpack(any, SecretSchema)!; } catch (e) { errors.push(`resources[${i}]: does not decode as Secret: ${(e as Error).message}`); return; }
      if (!s.name) { errors.push(`resources[${i}]: Secret without a name`); return; }
      const problem = checkSecret(s);
      if (problem) { errors.push(`Secret "${s.name}": ${problem}`); return; }
      this.set(s, version);
    });
    return errors;
  }

  /** Adds or replaces one secret (tests, and static secrets). */
  set(secret: Secret, version = ''): void {
    this.secrets.set(secret.name, { secret, version, generation: ++this.generation });
  }

  /** A secret received (or set), else a `file-cert:`/`file-root:` one read locally (generation 0: its content keys the contexts). */
  get(name: string): StoredSecret | undefined {
    const s = this.secrets.get(name);
    if (s || !isFileSecret(name)) return s;
    const local = fileSecret(name);
    return local ? { secret: local, version: 'file', generation: 0 } : undefined;
  }

  /** The certificate of a `tls_certificate` secret, or undefined when missing or of another type. */
  certificate(name: string): { cert: TlsCertificate; generation: number } | undefined {
    const s = this.get(name);
    return s?.secret.type.case === 'tlsCertificate' ? { cert: s.secret.type.value, generation: s.generation } : undefined;
  }

  /** The validation context of a `validation_context` secret, or undefined. */
  validationContext(name: string): { ctx: CertificateValidationContext; generation: number } | undefined {
    const s = this.get(name);
    return s?.secret.type.case === 'validationContext' ? { ctx: s.secret.type.value, generation: s.generation } : undefined;
  }

  /** Every secret, for /config_dump. */
  all(): ReadonlyMap<string, StoredSecret> {
    return this.secrets;
  }
}

function checkSecret(s: Secret): string | undefined {
  try {
    if (s.type.case === 'tlsCertificate') {
      const cert = readDataSource(s.type.value.certificateChain, 'tls_certificate.certificate_chain');
      const key = readDataSource(s.type.value.privateKey, 'tls_certificate.private_key');
      if (!cert || !key) return 'tls_certificate: needs certificate_chain and private_key';
      createSecureContext({ cert, key });
    } else if (s.type.case === 'validationContext') {
      const ca = readDataSource(s.type.value.trustedCa, 'validation_context.trusted_ca');
      if (ca) createSecureContext({ ca });
    } else if (s.type.case === undefined) {
      return 'no secret type set; set tls_certificate or validation_context';
    }
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
