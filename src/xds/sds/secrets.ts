/**
 * SDS `Secret` resources as istiod serves them over ADS: the proxy's workload certificate `default`,
 * the mesh root `ROOTCA`, and gateway credentials from Kubernetes Secrets, `kubernetes://<name>`
 * (tls.crt + tls.key) and `kubernetes://<name>-cacert` (ca.crt), read in the proxy's own namespace, and
 * `kubernetes-gateway://<ns>/<name>` for the certificateRefs of Gateway API listeners
 * (Istio `pilot/pkg/xds/sds.go`, `pkg/security` names).
 */
import { create } from '@bufbuild/protobuf';
import type { MeshObject } from '../../mesh/graph.js';
import { type Secret, SecretSchema } from '../gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';

/** SDS name of the proxy's own workload certificate (Istio `WorkloadKeyCertResourceName`). */
export const WORKLOAD_CERT_SECRET = 'default';
/** SDS name of the mesh root certificate (Istio `RootCertReqResourceName`). */
export const ROOT_CA_SECRET = 'ROOTCA';
/** Prefix of gateway credentials taken from Kubernetes Secrets (Istio `KubernetesSecretTypeURI`). */
export const KUBERNETES_SECRET_PREFIX = 'kubernetes://';
/** Suffix of a credential's CA bundle (Istio `SdsCaSuffix`). */
export const CA_SUFFIX = '-cacert';

const pem = (text: string) => ({ specifier: { case: 'inlineBytes' as const, value: new TextEncoder().encode(text) } });

/** A `tls_certificate` secret: `certificate_chain` and `private_key` inline, PEM bytes (as istiod sends them). */
export function buildTlsCertificateSecret(name: string, certificateChainPem: string, privateKeyPem: string): Secret {
  return create(SecretSchema, { name, type: { case: 'tlsCertificate', value: { certificateChain: pem(certificateChainPem), privateKey: pem(privateKeyPem) } } });
}

/** A `validation_context` secret: `trusted_ca` inline, PEM bytes. */
export function buildValidationContextSecret(name: string, trustedCaPem: string): Secret {
  return create(SecretSchema, { name, type: { case: 'validationContext', value: { trustedCa: pem(trustedCaPem) } } });
}

/** A Kubernetes Secret that cannot serve as a gateway credential, and why. */
export interface CredentialProblem {
  readonly object: MeshObject;
  readonly message: string;
}

/**
 * The gateway credentials of Kubernetes `Secret`s in `namespace`: for each with `tls.crt` and
 * `tls.key` (type `kubernetes.io/tls`, or Opaque with those keys; `cert`/`key` too, as Istio accepts),
 * `kubernetes://<name>`; for each with `ca.crt` (or `cacert`), `kubernetes://<name>-cacert`. Data
 * is base64 (`data`) or plain (`stringData`). A Secret whose data does not decode to PEM is skipped
 * and reported in `problems`.
 */
export function buildCredentialSecrets(secrets: readonly MeshObject[], namespace: string): { secrets: Secret[]; problems: CredentialProblem[] } {
  const out: Secret[] = [];
  const problems: CredentialProblem[] = [];
  for (const o of secrets) {
    if (o.kind !== 'Secret' || o.namespace !== namespace) continue;
    addCredential(o, `${KUBERNETES_SECRET_PREFIX}${o.name}`, out, problems);
  }
  return { secrets: out, problems };
}

/** Prefix of the credentials istiod names Gateway API certificateRefs by (Istio `KubernetesGatewaySecretType`): `kubernetes-gateway://<ns>/<name>`. */
export const KUBERNETES_GATEWAY_SECRET_PREFIX = 'kubernetes-gateway://';

/**
 * The Gateway API credentials `names` (`kubernetes-gateway://<namespace>/<secret>`, as the gateway's TLS contexts
 * name them) from the Kubernetes `Secret`s they name, in any namespace (istiod checked the ReferenceGrant when it
 * named them): the certificate under the name, its `ca.crt` under `<name>-cacert`, as {@link buildCredentialSecrets}
 * reads them. A name whose Secret is not in the input is left out (the proxy waits for it).
 */
export function buildGatewayApiCredentialSecrets(secrets: readonly MeshObject[], names: readonly string[]): { secrets: Secret[]; problems: CredentialProblem[] } {
  const out: Secret[] = [];
  const problems: CredentialProblem[] = [];
  for (const name of new Set(names)) {
    if (!name.startsWith(KUBERNETES_GATEWAY_SECRET_PREFIX)) continue;
    const [ns, secret] = name.slice(KUBERNETES_GATEWAY_SECRET_PREFIX.length).split('/');
    const o = secrets.find((x) => x.kind === 'Secret' && x.namespace === ns && x.name === secret);
    if (o) addCredential(o, name, out, problems);
  }
  return { secrets: out, problems };
}

/** The credential of Secret `o` under SDS `name` (and `<name>-cacert`) into `out`, or a problem when its data is not PEM. */
function addCredential(o: MeshObject, name: string, out: Secret[], problems: CredentialProblem[]): void {
  const data = readData(o);
  const cert = data['tls.crt'] ?? data.cert;
  const key = data['tls.key'] ?? data.key;
  const ca = data['ca.crt'] ?? data.cacert;
  const bad = [['tls.crt', cert], ['tls.key', key], ['ca.crt', ca]].filter(([, v]) => v !== undefined && !/-----BEGIN [A-Z ]+-----/.test(v!));
  if (bad.length > 0) {
    problems.push({ object: o, message: `${o.file}:${o.location.line}: Secret ${o.namespace}/${o.name}: ${bad.map(([k]) => k).join(', ')} is not PEM (data values are base64 of the PEM text; stringData values are the PEM text); not served as a gateway credential` });
    return;
  }
  if (cert !== undefined && key !== undefined) out.push(buildTlsCertificateSecret(name, cert, key));
  if (ca !== undefined) out.push(buildValidationContextSecret(`${name}${CA_SUFFIX}`, ca));
}

function readData(o: MeshObject): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const data = o.body.data;
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  const stringData = o.body.stringData;
  if (stringData && typeof stringData === 'object' && !Array.isArray(stringData)) {
    for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}
