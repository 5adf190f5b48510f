/**
 * SDS secrets received over the ADS stream (`type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret`):
 * `default` (the workload certificate), `ROOTCA` (the mesh root), `kubernetes://<credentialName>`
 * (a gateway certificate) and `kubernetes://<credentialName>-cacert` (its client CA). The names to
 * subscribe to are the ones the current listeners and clusters reference. Like RDS and EDS, a
 * response updates the secrets it carries; a rotated secret applies to new connections (each
 * handshake reads the store), while open connections keep the certificate they started with.
 */
import { createSecureContext } from 'node:tls';
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
    return [...out].sort();
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

  get(name: string): StoredSecret | undefined {
    return this.secrets.get(name);
  }

  /** The certificate of a `tls_certificate` secret, or undefined when missing or of another type. */
  certificate(name: string): { cert: TlsCertificate; generation: number } | undefined {
    const s = this.secrets.get(name);
    return s?.secret.type.case === 'tlsCertificate' ? { cert: s.secret.type.value, generation: s.generation } : undefined;
  }

  /** The validation context of a `validation_context` secret, or undefined. */
  validationContext(name: string): { ctx: CertificateValidationContext; generation: number } | undefined {
    const s = this.secrets.get(name);
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
