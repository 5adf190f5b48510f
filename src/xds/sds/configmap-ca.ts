/**
 * SDS CA bundles from Kubernetes ConfigMaps, as istiod serves the `configmap://<namespace>/<name>` credentials
 * (pilot/pkg/xds/sds.go `SecretGen.generate`, pilot/pkg/credentials/kube/secrets.go `GetConfigMapCaCert`,
 * pilot/pkg/model/credentials/resource.go `ParseResourceName`). istiod names them in the DestinationRules it
 * generates from BackendTLSPolicies (`caCertificateRefs`), and a user's rule may name one too.
 *
 * - A cluster's validation context asks for `configmap://<ns>/<name>-cacert` (`ToResourceName` keeps the name,
 *   `SdsCaSuffix` is added); istiod strips the suffix and reads ConfigMap `<ns>/<name>`, from any namespace and
 *   for any proxy (only a CA is exposed, so no authorization).
 * - The CA is the ConfigMap's `data.cacert`, else `data.ca.crt` (`ExtractRoot`), the CRL `crl` / `ca.crl` beside
 *   it; `binaryData` is not read. The secret is a `validation_context` with `trusted_ca` (and `crl`) inline.
 * - A ConfigMap that is missing, or has neither key (or only empty ones), gets no secret: istiod logs it and the
 *   proxy's cluster keeps warming. meshproof also leaves out a CA that is not PEM (istiod sends it, and Envoy
 *   refuses it) and reports each of these as a {@link ConfigMapCaProblem}.
 */
import { create } from '@bufbuild/protobuf';
import type { MeshObject } from '../../mesh/graph.js';
import { isPemCertificate } from '../../mesh/gateway-api-backend-tls.js';
import { isRecord } from '../../mesh/object.js';
import { type Secret, SecretSchema } from '../gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { CA_SUFFIX } from './secrets.js';

/** Prefix of credentials read from ConfigMaps (Istio `KubernetesConfigMapTypeURI`). */
export const CONFIGMAP_CREDENTIAL_PREFIX = 'configmap://';

/** A `configmap://` credential that cannot be served, and why (the message names file and line when there is a ConfigMap). */
export interface ConfigMapCaProblem {
  /** The SDS name, `configmap://<ns>/<name>-cacert`. */
  readonly name: string;
  readonly message: string;
}

/** Every `credentialName` starting with `configmap://` in `rules` (top level, port-level and subset TLS settings), in first-seen order. */
export function configMapCredentialNames(rules: readonly MeshObject[]): string[] {
  const out = new Set<string>();
  const fromPolicy = (tp: unknown): void => {
    if (!isRecord(tp)) return;
    const tls = [tp.tls, ...(Array.isArray(tp.portLevelSettings) ? tp.portLevelSettings.map((p) => (isRecord(p) ? p.tls : undefined)) : [])];
    for (const t of tls) if (isRecord(t) && typeof t.credentialName === 'string' && t.credentialName.startsWith(CONFIGMAP_CREDENTIAL_PREFIX)) out.add(t.credentialName);
  };
  for (const o of rules) {
    if (o.kind !== 'DestinationRule') continue;
    fromPolicy(o.spec.trafficPolicy);
    if (Array.isArray(o.spec.subsets)) for (const s of o.spec.subsets) if (isRecord(s)) fromPolicy(s.trafficPolicy);
  }
  return [...out];
}

/**
 * The SDS secrets `<credential>-cacert` for the `configmap://<ns>/<name>` credentials `names`, from the ConfigMaps
 * in `objects`; a credential whose ConfigMap is missing, lacks a CA, or holds one that is not a PEM certificate is
 * left out and reported.
 */
export function buildConfigMapCaSecrets(objects: readonly MeshObject[], names: readonly string[]): { secrets: Secret[]; problems: ConfigMapCaProblem[] } {
  const secrets: Secret[] = [];
  const problems: ConfigMapCaProblem[] = [];
  for (const credential of new Set(names)) {
    const name = `${credential}${CA_SUFFIX}`;
    const [ns = '', cmName = ''] = credential.slice(CONFIGMAP_CREDENTIAL_PREFIX.length).split('/');
    if (ns === '' || cmName === '') {
      problems.push({ name, message: `${name}: not a ConfigMap credential (expected configmap://<namespace>/<name>); not served` });
      continue;
    }
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.group === '' && o.namespace === ns && o.name === cmName);
    const waits = 'clusters that name it wait for it (Envoy keeps them warming)';
    if (!cm) {
      problems.push({ name, message: `${name}: ConfigMap ${ns}/${cmName} is not in the input; ${waits}. Add the ConfigMap with the CA's PEM under data."ca.crt"` });
      continue;
    }
    const data = isRecord(cm.body.data) ? cm.body.data : {};
    const text = (k: string): string | undefined => (typeof data[k] === 'string' && data[k] !== '' ? (data[k] as string) : undefined);
    const [caKey, crlKey] = text('cacert') !== undefined ? ['cacert', 'crl'] : ['ca.crt', 'ca.crl'];
    const ca = text(caKey);
    const where = `${cm.file}:${cm.location.line}: ConfigMap ${ns}/${cmName}`;
    if (ca === undefined) {
      const keys = Object.keys(data).sort();
      problems.push({ name, message: `${where}: no CA under data."ca.crt" (or data.cacert)${keys.length > 0 ? `; found ${keys.join(', ')}` : ''}; ${name} is not served and ${waits}` });
      continue;
    }
    if (!isPemCertificate(ca)) {
      problems.push({ name, message: `${where}: data."${caKey}" is not a PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----; ConfigMap data is plain text, not base64); ${name} is not served and ${waits}` });
      continue;
    }
    const crl = text(crlKey);
    const bytes = (s: string) => ({ specifier: { case: 'inlineBytes' as const, value: new TextEncoder().encode(s) } });
    secrets.push(create(SecretSchema, { name, type: { case: 'validationContext', value: { trustedCa: bytes(ca), ...(crl !== undefined ? { crl: bytes(crl) } : {}) } } }));
  }
  return { secrets, problems };
}
