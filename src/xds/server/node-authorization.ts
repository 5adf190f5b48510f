/**
 * Which nodes an authenticated ADS client may name: istiod's identity check (`pilot/pkg/xds/auth.go`,
 * `checkConnectionIdentity`, on with `ENABLE_XDS_IDENTITY_CHECK`, the default). The node's config
 * namespace must be the namespace of the SPIFFE ID the client's certificate carries, and when the node
 * says its service account (`SERVICE_ACCOUNT` metadata), so must the service account be. The trust
 * domain is not compared: the certificate chains to the mesh CA, which is what trusts it.
 */
import { parseSpiffeId, PkiError } from '../../pki/index.js';
import type { NodeClaim } from '../sds/node-identity.js';

/**
 * Why a client authenticated as `peerIdentity` (the SPIFFE ID of its verified certificate, undefined
 * when it carries none) may not be served a node claiming `claim`, or undefined when it may. The reason
 * says what differs and how to get a certificate that fits.
 */
export function nodeIdentityRefusal(peerIdentity: string | undefined, claim: NodeClaim): string | undefined {
  const fix = `issue a client certificate for that identity: meshproof xds client-cert --identity ${claim.namespace}/${claim.serviceAccount ?? '<service account>'} --out <dir> --ca-cert <file> --ca-key <file> (or xds serve --tls --issue-client-cert ${claim.namespace}/${claim.serviceAccount ?? '<service account>'}=<dir>)`;
  const wants = `namespace ${claim.namespace}${claim.serviceAccount ? ` and service account ${claim.serviceAccount} (node metadata SERVICE_ACCOUNT)` : ''}`;
  if (peerIdentity === undefined) return `the client certificate carries no SPIFFE ID (URI SAN spiffe://<trust domain>/ns/<namespace>/sa/<service account>), and the node needs ${wants}; ${fix}`;
  let namespace: string | undefined;
  let serviceAccount: string | undefined;
  try {
    ({ namespace, serviceAccount } = parseSpiffeId(peerIdentity));
  } catch (e) {
    if (!(e instanceof PkiError)) throw e;
  }
  if (namespace === undefined) return `the client authenticated as ${peerIdentity}, which names no namespace (expected spiffe://<trust domain>/ns/<namespace>/sa/<service account>), and the node needs ${wants}; ${fix}`;
  if (namespace !== claim.namespace) return `the client authenticated as ${peerIdentity} (namespace ${namespace}), and the node is in namespace ${claim.namespace}; a client may only name nodes of its certificate's namespace; ${fix}`;
  if (claim.serviceAccount !== undefined && serviceAccount !== claim.serviceAccount) return `the client authenticated as ${peerIdentity} (service account ${serviceAccount}), and the node says it runs as service account ${claim.serviceAccount} (node metadata SERVICE_ACCOUNT); ${fix}`;
  return undefined;
}
