/**
 * Upstream TLS of an outbound cluster, as istiod's `cluster_tls.go` builds it from the client TLS
 * in force (a DestinationRule's `tls`, or auto mTLS).
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Cluster_TransportSocketMatchSchema } from '../gen/envoy/config/cluster/v3/cluster_pb.js';
import { TlsParameters_TlsProtocol } from '../gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { CommonTlsContextSchema, UpstreamTlsContextSchema } from '../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import type { HttpProtocolOptionsSchema } from '../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import type { ClientTlsView, ClusterView } from '../../mesh/view/index.js';
import { createMessage as create } from '../create-message.js';
import { packAny } from '../encode.js';
import { ADS_SOURCE } from './_common.js';
import { type ClusterParts, FRESH_PARTS } from './_parts.js';
import type { ClusterInit } from './clusters.js';

/**
 * The cluster's `HttpProtocolOptions` under construction (istiod's `clusterWrapper.httpProtocolOptions`),
 * as plain init objects that `create(HttpProtocolOptionsSchema, …)` turns into the message once.
 */
export interface HttpOptionsInit {
  readonly commonHttpProtocolOptions?: { readonly idleTimeout?: object; readonly maxRequestsPerConnection?: number; readonly maxConnectionDuration?: object };
  readonly upstreamHttpProtocolOptions?: { readonly autoSni?: boolean; readonly autoSanValidation?: boolean };
  readonly upstreamProtocolOptions?: { readonly case: 'explicitHttpConfig'; readonly value: { readonly protocolConfig: { readonly case: 'httpProtocolOptions' | 'http2ProtocolOptions'; readonly value: object } } }
    | { readonly case: 'useDownstreamProtocolConfig'; readonly value: object };
}

/** The message init of {@link HttpOptionsInit}. */
export function httpOptionsMessageInit(h: HttpOptionsInit): MessageInitShape<typeof HttpProtocolOptionsSchema> {
  return h as MessageInitShape<typeof HttpProtocolOptionsSchema>;
}

type ValidationInit = NonNullable<MessageInitShape<typeof CommonTlsContextSchema>['validationContextType']>;

const TLS_SOCKET = 'envoy.transport_sockets.tls';

/** ALPN of mesh mTLS with metadata exchange (istiod `ALPNInMeshWithMxc`, `ALPNInMeshH2WithMxc` for HTTP/2 clusters). */
export const MESH_ALPN: readonly string[] = ['istio-peer-exchange', 'istio'];
export const MESH_H2_ALPN: readonly string[] = ['istio-peer-exchange', 'istio', 'h2'];

/** SDS name of the system trust roots the agent serves (Istio `FileRootSystemCACert`): SIMPLE or MUTUAL without `caCertificates`. */
export const SYSTEM_ROOTS_SECRET = 'file-root:system';

/** SNI Istio uses for ISTIO_MUTUAL: `outbound_.<port>_.<subset>_.<fqdn>`. */
export function istioMutualSni(c: ClusterView): string {
  return `outbound_.${c.port}_.${c.subset ?? ''}_.${c.host}`;
}

/** Who the cluster is for and what it already carries, for the TLS decisions that depend on them. */
export interface UpstreamTlsTarget {
  /** istiod `sidecarProxy()`: sidecars take `credentialName` only from a DestinationRule with a `workloadSelector`. */
  readonly sidecar: boolean;
  /** A ServiceEntry host (istiod `provider.External`): its `subjectAltNames` stand in for the rule's when it gives none. */
  readonly serviceEntry: boolean;
  /** The cluster speaks HTTP/2 by explicit configuration (istiod `isHttp2Cluster`): ALPN offers `h2`. */
  readonly http2: boolean;
}

/** TLS params every upstream context of istiod carries (`defaultUpstreamCommonTLSContext`). */
const TLS_PARAMS = { tlsMinimumProtocolVersion: TlsParameters_TlsProtocol.TLSv1_2, tlsMaximumProtocolVersion: TlsParameters_TlsProtocol.TLSv1_3 };

const exact = (values: readonly string[]) => values.map((value) => ({ matchPattern: { case: 'exact' as const, value } }));

/** A credential's SDS name (istiod `ConstructSdsSecretConfigForCredential`: a Kubernetes Secret unless a scheme is given). */
function credentialSecret(name: string): string {
  return name.includes('://') ? name : `kubernetes://${name}`;
}

/**
 * Client TLS (istiod `applyUpstreamTLSSettings`), returning `http` with what it adds to the
 * cluster's protocol options (`auto_sni`, `auto_san_validation`):
 * - ISTIO_MUTUAL and AUTO: SDS `default` certificate, `ROOTCA` validation of the server's SAN (the
 *   rule's `subjectAltNames`, else the service accounts behind the service; with neither, any mesh
 *   certificate passes), SNI `outbound_.<port>_.<subset>_.<fqdn>` unless the rule gives one, ALPN
 *   `istio-peer-exchange, istio` (plus `h2` on HTTP/2 clusters). AUTO becomes
 *   `transport_socket_matches`: mTLS toward endpoints labelled `tlsMode: istio`, plaintext otherwise.
 * - SIMPLE and MUTUAL: certificate and CA from SDS: `kubernetes://<credentialName>` (and `-cacert`),
 *   or the files as the agent serves them (`file-cert:<cert>~<key>`, `file-root:<ca>`; without
 *   `caCertificates` the system roots, `file-root:system`); `insecureSkipVerify` drops the check;
 *   `auto_sni` without an `sni` (Envoy takes the SNI from the request's Host), `auto_san_validation`
 *   with neither `sni` nor `subjectAltNames` (the certificate must match that SNI); ALPN `h2` on
 *   HTTP/2 clusters only. A sidecar ignores a rule's `credentialName` unless the rule selects
 *   workloads: the cluster goes plaintext (istiod keeps other sidecars from waiting for a secret).
 * - DISABLE: nothing.
 * Every context says TLS 1.2 to 1.3; SIMPLE and MUTUAL add MeshConfig `tlsDefaults`' cipher suites and ECDH curves.
 */
export function applyUpstreamTls(cluster: ClusterInit, c: ClusterView, tls: ClientTlsView, serviceAccounts: readonly string[], target: UpstreamTlsTarget, http: HttpOptionsInit | undefined, parts: ClusterParts = FRESH_PARTS): HttpOptionsInit | undefined {
  if (tls.mode === 'DISABLE') return http;
  if (tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'AUTO') {
    const sans = (tls.subjectAltNames ?? []).length > 0 ? tls.subjectAltNames! : serviceAccounts;
    const socket = { name: TLS_SOCKET, configType: { case: 'typedConfig' as const, value: packAny(UpstreamTlsContextSchema, istioMutualContext(c, tls, sans, target.http2, parts)) } };
    if (tls.mode === 'ISTIO_MUTUAL') { cluster.transportSocket = socket; return http; }
    cluster.transportSocketMatches = [
      { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transportSocket: socket },
      parts.part('tlsMode-disabled', Cluster_TransportSocketMatchSchema, () => create(Cluster_TransportSocketMatchSchema, { name: 'tlsMode-disabled', match: {}, transportSocket: { name: 'envoy.transport_sockets.raw_buffer' } })),
    ];
    return http;
  }
  // istiod `AddALPNOverrideToMetadata`: TLS the DestinationRule originates keeps its own ALPN (istio.alpn skips the cluster).
  cluster.metadata = { ...cluster.metadata, filterMetadata: { ...cluster.metadata?.filterMetadata, istio: { alpn_override: 'false' } } };
  if (tls.credentialName && target.sidecar && !tls.workloadSelected && !tls.credentialName.startsWith('configmap://')) return http;
  const sans = (tls.subjectAltNames ?? []).length === 0 && target.serviceEntry ? serviceAccounts : (tls.subjectAltNames ?? []);
  const skip = tls.insecureSkipVerify === true;
  const mutual = tls.mode === 'MUTUAL';
  let certificates: { name: string; sdsConfig: typeof ADS_SOURCE }[] = [];
  let validation: ValidationInit = { case: undefined };
  if (tls.credentialName) {
    const name = credentialSecret(tls.credentialName);
    if (mutual) certificates = [{ name, sdsConfig: ADS_SOURCE }];
    if (!skip) validation = { case: 'combinedValidationContext', value: { defaultValidationContext: { matchSubjectAltNames: exact(sans) }, validationContextSdsSecretConfig: { name: `${name}-cacert`, sdsConfig: ADS_SOURCE } } };
  } else {
    if (mutual && tls.clientCertificate && tls.privateKey) certificates = [{ name: `file-cert:${tls.clientCertificate}~${tls.privateKey}`, sdsConfig: ADS_SOURCE }];
    validation = skip ? { case: 'validationContext', value: {} }
      : { case: 'combinedValidationContext', value: { defaultValidationContext: { matchSubjectAltNames: exact(sans) }, validationContextSdsSecretConfig: { name: tls.caCertificates ? `file-root:${tls.caCertificates}` : SYSTEM_ROOTS_SECRET, sdsConfig: ADS_SOURCE } } };
  }
  const ctx = create(UpstreamTlsContextSchema, {
    sni: tls.sni ?? '',
    commonTlsContext: {
      // istiod applyTLSDefaults: MeshConfig tlsDefaults' curves and suites on TLS the rule originates.
      tlsParams: tls.meshDefaults ? { ...TLS_PARAMS, cipherSuites: [...(tls.meshDefaults.cipherSuites ?? [])], ecdhCurves: [...(tls.meshDefaults.ecdhCurves ?? [])] } : TLS_PARAMS,
      tlsCertificateSdsSecretConfigs: certificates,
      validationContextType: validation,
      alpnProtocols: target.http2 ? ['h2'] : [],
    },
  });
  cluster.transportSocket = { name: TLS_SOCKET, configType: { case: 'typedConfig', value: packAny(UpstreamTlsContextSchema, ctx) } };
  // istiod `setAutoSniAndAutoSanValidation`.
  const autoSni = !tls.sni;
  const autoSan = autoSni && (tls.subjectAltNames ?? []).length === 0 && !skip;
  if (!autoSni && !autoSan) return http;
  return { ...http, upstreamHttpProtocolOptions: { ...http?.upstreamHttpProtocolOptions, ...(autoSni ? { autoSni: true } : {}), ...(autoSan ? { autoSanValidation: true } : {}) } };
}

/**
 * The ISTIO_MUTUAL upstream context: the SNI is the cluster's own, the common context (certificate,
 * ROOTCA validation of `sans`, ALPN) is the same for every cluster of a service, so it is a part
 * (shared, and encoded once, when the clusters are the translation cache's).
 */
function istioMutualContext(c: ClusterView, tls: ClientTlsView, sans: readonly string[], http2: boolean, parts: ClusterParts) {
  return create(UpstreamTlsContextSchema, {
    sni: tls.sni ?? istioMutualSni(c),
    commonTlsContext: parts.part(`istioMutual ${http2 ? 'h2' : ''} ${JSON.stringify(sans)}`, CommonTlsContextSchema, () => create(CommonTlsContextSchema, {
      tlsParams: TLS_PARAMS,
      alpnProtocols: [...(http2 ? MESH_H2_ALPN : MESH_ALPN)],
      tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: ADS_SOURCE }],
      validationContextType: {
        case: 'combinedValidationContext',
        value: {
          defaultValidationContext: { matchSubjectAltNames: exact(sans) },
          validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: ADS_SOURCE },
        },
      },
    })),
  });
}
