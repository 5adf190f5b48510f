/**
 * The core's TLS provider for listeners whose `DownstreamTlsContext` carries its material inline or
 * in files (`tls_certificates`, `validation_context.trusted_ca`, `require_client_certificate`,
 * `alpn_protocols`). SDS-delivered secrets and upstream TLS come from the security unit, which
 * replaces this provider in extensions.ts; until then a context naming SDS secrets is refused with
 * a ConfigError (the listener is NACKed rather than served without its certificate).
 */
import { readFileSync } from 'node:fs';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { DataSource } from '../../xds/gen/envoy/config/core/v3/base_pb.js';
import type { FilterChain } from '../../xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { DownstreamTlsContextSchema } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { ConfigError } from '../config/config-error.js';
import type { TlsProvider } from './pipeline.js';

function bytes(ds: DataSource | undefined, field: string): Buffer | undefined {
  const s = ds?.specifier;
  switch (s?.case) {
    case undefined: return undefined;
    case 'inlineString': return Buffer.from(s.value);
    case 'inlineBytes': return Buffer.from(s.value);
    case 'filename':
      try { return readFileSync(s.value); } catch (e) { throw new ConfigError(`${field}.filename`, `cannot read ${JSON.stringify(s.value)} (${(e as NodeJS.ErrnoException).code})`); }
    default: throw new ConfigError(field, `${s?.case} is not supported; use inline_string, inline_bytes or filename`);
  }
}

export const staticTls: TlsProvider = {
  downstream(chain: FilterChain) {
    const ts = chain.transportSocket!;
    if (ts.configType.case !== 'typedConfig' || !ts.configType.value.typeUrl.endsWith(DownstreamTlsContextSchema.typeName)) {
      throw new ConfigError('typed_config', `a ${DownstreamTlsContextSchema.typeName} is required`);
    }
    const ctx = anyUnpack(ts.configType.value, DownstreamTlsContextSchema)!;
    const common = ctx.commonTlsContext;
    if ((common?.tlsCertificateSdsSecretConfigs.length ?? 0) > 0 || common?.validationContextType.case === 'validationContextSdsSecretConfig') {
      throw new ConfigError('typed_config.common_tls_context', 'SDS secrets need the security unit, which is not registered in this build');
    }
    const cert = common?.tlsCertificates[0];
    if (!cert) throw new ConfigError('typed_config.common_tls_context.tls_certificates', 'a TLS listener needs a certificate');
    const vc = common?.validationContextType.case === 'validationContext' ? common.validationContextType.value : undefined;
    const ca = bytes(vc?.trustedCa, 'typed_config.common_tls_context.validation_context.trusted_ca');
    const require = ctx.requireClientCertificate === true;
    return {
      cert: bytes(cert.certificateChain, 'typed_config.common_tls_context.tls_certificates[0].certificate_chain'),
      key: bytes(cert.privateKey, 'typed_config.common_tls_context.tls_certificates[0].private_key'),
      ...(ca ? { ca } : {}),
      requestCert: require || ca !== undefined,
      rejectUnauthorized: require,
      ...(common && common.alpnProtocols.length > 0 ? { ALPNProtocols: common.alpnProtocols } : {}),
    };
  },
};
