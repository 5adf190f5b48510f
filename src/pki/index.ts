/**
 * meshproof's small PKI: a mesh CA and the certificates the runtime needs (workload identities for
 * mTLS, served over SDS; server certificates for gateways and tests). ECDSA P-256 keys made with
 * Node's WebCrypto, certificates with `@peculiar/x509`; everything PEM.
 *
 * ```ts
 * const ca = await createCa({ trustDomain: 'cluster.local' });
 * const leaf = await issueWorkloadCertificate(ca, { spiffeId: workloadSpiffeId('cluster.local', 'shop', 'reviews') });
 * tls.createServer({ cert: leaf.certificateChainPem, key: leaf.privateKeyPem, ca: ca.rootCertificatePem, requestCert: true });
 * ```
 * Every failure is a {@link PkiError} with a stable `code`.
 */
export { type CertificateAuthority, type CreateCaOptions, type LoadCaFilesOptions, type LoadCaOptions, createCa, loadCa, loadCaFromFiles } from './ca.js';
export { CLOCK_SKEW_SECONDS, type IssuedCertificate, type ServerCertificateOptions, type WorkloadCertificateOptions, issueServerCertificate, issueWorkloadCertificate } from './issue.js';
export { type SpiffeId, checkTrustDomain, parseSpiffeId, workloadSpiffeId } from './spiffe.js';
export { PkiError, type PkiErrorCode } from './errors.js';
export { spiffeIdOfCertificate } from './inspect.js';
