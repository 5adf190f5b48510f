/**
 * `DownstreamTlsContext` for a Gateway server that terminates TLS, as Istio's
 * `BuildListenerTLSContext` builds it (`pilot/pkg/networking/core/listener.go`,
 * `security/model/authentication.go`).
 */
import { create } from '@bufbuild/protobuf';
import { type DownstreamTlsContext, DownstreamTlsContextSchema } from '../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { CertificateValidationContext_TrustChainVerification, TlsParameters_TlsProtocol } from '../gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import type { MeshTlsDefaultsView } from '../../mesh/view/index.js';
import { ADS_SOURCE } from './_common.js';

/** Istio `ServerTLSSettings`, the fields the translator reads (as written in the Gateway). */
export interface ServerTlsSettings {
  readonly mode?: string;
  readonly credentialName?: string;
  readonly credentialNames?: readonly string[];
  readonly serverCertificate?: string;
  readonly privateKey?: string;
  readonly caCertificates?: string;
  readonly subjectAltNames?: readonly string[];
  readonly verifyCertificateSpki?: readonly string[];
  readonly verifyCertificateHash?: readonly string[];
  readonly minProtocolVersion?: string;
  readonly maxProtocolVersion?: string;
  readonly cipherSuites?: readonly string[];
  readonly ecdhCurves?: readonly string[];
  /** SDS name of the CA bundle instead of `<credentialName>-cacert`. */
  readonly caCertCredentialName?: string;
  /** Certificate revocation list file. */
  readonly caCrl?: string;
  readonly insecureSkipVerify?: boolean;
  readonly httpsRedirect?: boolean;
}

/** SDS name of the gateway credential's CA bundle: `<credentialName>-cacert` (Istio's `SdsCaSuffix`). */
export const CA_SUFFIX = '-cacert';

const PROTOCOLS: Record<string, TlsParameters_TlsProtocol> = {
  TLS_AUTO: TlsParameters_TlsProtocol.TLS_AUTO, TLSV1_0: TlsParameters_TlsProtocol.TLSv1_0, TLSV1_1: TlsParameters_TlsProtocol.TLSv1_1,
  TLSV1_2: TlsParameters_TlsProtocol.TLSv1_2, TLSV1_3: TlsParameters_TlsProtocol.TLSv1_3,
};

const sds = (name: string) => ({ name, sdsConfig: ADS_SOURCE });

/**
 * The SDS resource of a credential name (istiod `ConstructSdsSecretConfigForCredential`, `credentials.ToResourceName`):
 * `builtin://` is the proxy's own certificate `default` (its CA `ROOTCA`); a name of the types `kubernetes://`,
 * `kubernetes-gateway://` (which istiod gives Gateway API certificateRefs, `<ns>/<secret>`) or `configmap://` as
 * it is; any other `kubernetes://<name>`.
 */
function credentialResource(name: string): string {
  if (name === `builtin://${CA_SUFFIX}`) return 'ROOTCA';
  if (name.startsWith('builtin://')) return 'default';
  return /^(kubernetes|kubernetes-gateway|configmap):\/\//.test(name) ? name : `kubernetes://${name}`;
}
const exact = (values: readonly string[] | undefined) => (values ?? []).map((v) => ({ matchPattern: { case: 'exact' as const, value: v } }));

/**
 * The TLS context of a terminating server. Modes: SIMPLE (certificate only), MUTUAL (plus
 * `require_client_certificate` and a CA), OPTIONAL_MUTUAL (CA, certificate not required),
 * ISTIO_MUTUAL (the proxy's own SDS `default` certificate and `ROOTCA`, client certificate required).
 * Certificates: SDS `kubernetes://<credentialName>` (a name with a scheme as written, `builtin://` the proxy's
 * own `default`; and `<credentialName>-cacert`, or
 * `caCertCredentialName`, for the CA), or `serverCertificate` / `privateKey` / `caCertificates` files;
 * `caCrl` as the validation context's CRL file. `minProtocolVersion`, `maxProtocolVersion`,
 * `cipherSuites` and `ecdhCurves` go to `tls_params` (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, as Istio).
 * MeshConfig `tlsDefaults` (`meshDefaults`) comes first for those modes and the server's own fields
 * override it (istiod `applyDownstreamTLSDefaults`, then `applyServerTLSSettings`).
 * `transport`: `tcp` for a TLS server that forwards TCP (ISTIO_MUTUAL then offers Istio's ALPNs).
 */
export function buildDownstreamTlsContext(tls: ServerTlsSettings, transport: 'http' | 'tcp' = 'http', meshDefaults?: MeshTlsDefaultsView): DownstreamTlsContext {
  const mode = tls.mode ?? 'SIMPLE';
  const require = mode === 'MUTUAL' || mode === 'ISTIO_MUTUAL';
  const validate = require || mode === 'OPTIONAL_MUTUAL';
  const defaults = {
    matchSubjectAltNames: exact(tls.subjectAltNames),
    verifyCertificateSpki: [...(tls.verifyCertificateSpki ?? [])],
    verifyCertificateHash: [...(tls.verifyCertificateHash ?? [])],
    ...(tls.insecureSkipVerify ? { trustChainVerification: CertificateValidationContext_TrustChainVerification.ACCEPT_UNTRUSTED } : {}),
    ...(tls.caCrl ? { crl: { specifier: { case: 'filename' as const, value: tls.caCrl } } } : {}),
  };
  const credentials = tls.credentialNames && tls.credentialNames.length > 0 ? tls.credentialNames : tls.credentialName ? [tls.credentialName] : [];
  let certs: Record<string, unknown>;
  if (mode === 'ISTIO_MUTUAL') {
    certs = {
      tlsCertificateSdsSecretConfigs: [sds('default')],
      validationContextType: { case: 'combinedValidationContext', value: { defaultValidationContext: defaults, validationContextSdsSecretConfig: sds('ROOTCA') } },
    };
  } else if (credentials.length > 0) {
    certs = {
      tlsCertificateSdsSecretConfigs: credentials.map((c) => sds(credentialResource(c))),
      validationContextType: validate
        ? { case: 'combinedValidationContext', value: { defaultValidationContext: defaults, validationContextSdsSecretConfig: sds(credentialResource(tls.caCertCredentialName ?? `${credentials[0]}${CA_SUFFIX}`)) } }
        : (tls.subjectAltNames ?? []).length > 0 ? { case: 'validationContext', value: { matchSubjectAltNames: exact(tls.subjectAltNames) } } : { case: undefined },
    };
  } else {
    certs = {
      tlsCertificates: tls.serverCertificate && tls.privateKey
        ? [{ certificateChain: { specifier: { case: 'filename', value: tls.serverCertificate } }, privateKey: { specifier: { case: 'filename', value: tls.privateKey } } }] : [],
      validationContextType: validate
        ? { case: 'validationContext', value: { ...defaults, ...(tls.caCertificates ? { trustedCa: { specifier: { case: 'filename', value: tls.caCertificates } } } : {}) } }
        : { case: undefined },
    };
  }
  const simpleOrMutual = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  const own = PROTOCOLS[(tls.minProtocolVersion ?? 'TLS_AUTO').toUpperCase()] ?? TlsParameters_TlsProtocol.TLS_AUTO;
  const min = own !== TlsParameters_TlsProtocol.TLS_AUTO || !meshDefaults?.minProtocolVersion ? own : PROTOCOLS[meshDefaults.minProtocolVersion]!;
  const max = PROTOCOLS[(tls.maxProtocolVersion ?? 'TLS_AUTO').toUpperCase()] ?? TlsParameters_TlsProtocol.TLS_AUTO;
  const ciphers = (tls.cipherSuites ?? []).length > 0 ? tls.cipherSuites! : meshDefaults?.cipherSuites ?? [];
  const curves = (tls.ecdhCurves ?? []).length > 0 ? tls.ecdhCurves! : meshDefaults?.ecdhCurves ?? [];
  const params = simpleOrMutual && (min !== TlsParameters_TlsProtocol.TLS_AUTO || max !== TlsParameters_TlsProtocol.TLS_AUTO || ciphers.length > 0 || curves.length > 0)
    ? { tlsParams: { tlsMinimumProtocolVersion: min, tlsMaximumProtocolVersion: max, cipherSuites: [...ciphers], ecdhCurves: [...curves] } } : {};
  return create(DownstreamTlsContextSchema, {
    requireClientCertificate: require,
    commonTlsContext: {
      alpnProtocols: transport === 'tcp' && mode === 'ISTIO_MUTUAL' ? ['istio-peer-exchange', 'istio'] : ['h2', 'http/1.1'],
      ...certs,
      ...params,
    },
  });
}
