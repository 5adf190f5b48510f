/**
 * Which SDS secrets an authenticated ADS client may receive: istiod's rule (`pilot/pkg/xds/sds.go`,
 * `filterAuthorizedResources`) applied to what meshproof serves. A secret the client may not have is
 * left out of the response, NACK-free (as istiod does): the client simply never gets it.
 *
 * - `ROOTCA` and CA bundles (`…-cacert`): public, served to any authenticated client in the node's
 *   namespace (ROOTCA to any client at all).
 * - `default` (the workload certificate and its private key): only to the client whose certificate
 *   carries the very SPIFFE ID the workload certificate is issued for.
 * - Credentials (`kubernetes://…`, `kubernetes-gateway://…`): only to a client whose identity is in
 *   the node's namespace (istiod resolves them in the proxy's verified namespace).
 */
import { fromBinary } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import { parseSpiffeId, PkiError, spiffeIdOfCertificate } from '../../pki/index.js';
import { SecretSchema } from '../gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { CA_SUFFIX, ROOT_CA_SECRET, WORKLOAD_CERT_SECRET } from './secrets.js';

/** What a refusal is judged on. */
export interface SecretRequest {
  /** The SPIFFE ID of the client's verified certificate (its URI SAN), or undefined when it has none. */
  readonly peerIdentity: string | undefined;
  /** The namespace of the node the stream named (`<namespace>/<workload>` → `<namespace>`). */
  readonly nodeNamespace: string;
  /** The SDS resource name, e.g. `default`, `ROOTCA`, `kubernetes://cert`. */
  readonly name: string;
  /** The packed `envoy.extensions.transport_sockets.tls.v3.Secret`, as the snapshot holds it. */
  readonly resource: Any;
}

/** Why the client may not have the secret, or undefined when it may. */
export function secretRefusal(req: SecretRequest): string | undefined {
  if (req.name === ROOT_CA_SECRET) return undefined;
  const peer = req.peerIdentity;
  if (peer === undefined) return 'the client certificate carries no SPIFFE ID (URI SAN spiffe://<trust domain>/ns/<namespace>/sa/<service account>)';
  if (req.name === WORKLOAD_CERT_SECRET) {
    const issuedFor = workloadIdentityOf(req.resource);
    if (issuedFor === peer) return undefined;
    return `the workload certificate is issued for ${issuedFor ?? 'an identity that cannot be read'}, and the client authenticated as ${peer}`;
  }
  let namespace: string | undefined;
  try {
    namespace = parseSpiffeId(peer).namespace;
  } catch (e) {
    if (!(e instanceof PkiError)) throw e;
  }
  if (namespace === req.nodeNamespace) return undefined;
  const what = req.name.endsWith(CA_SUFFIX) ? 'a CA bundle' : 'a credential';
  return `${what} of namespace ${req.nodeNamespace}, and the client authenticated as ${peer}${namespace === undefined ? ' (no namespace in it)' : ` (namespace ${namespace})`}`;
}

const identities = new WeakMap<Any, string | null>();

/** The SPIFFE ID of the leaf in a packed `tls_certificate` Secret (cached per resource), or undefined. */
function workloadIdentityOf(resource: Any): string | undefined {
  let id = identities.get(resource);
  if (id === undefined) {
    id = null;
    try {
      const secret = fromBinary(SecretSchema, resource.value);
      const chain = secret.type.case === 'tlsCertificate' ? secret.type.value.certificateChain?.specifier : undefined;
      const pem = chain?.case === 'inlineBytes' ? new TextDecoder().decode(chain.value) : chain?.case === 'inlineString' ? chain.value : undefined;
      const leaf = pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)?.[0];
      if (leaf) id = spiffeIdOfCertificate(leaf) ?? null;
    } catch {
      id = null;
    }
    identities.set(resource, id);
  }
  return id ?? undefined;
}
