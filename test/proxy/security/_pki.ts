/** Test certificates from src/pki (the mesh CA), created once per test file. */
import { create } from '@bufbuild/protobuf';
import { createCa, issueServerCertificate, issueWorkloadCertificate, type CertificateAuthority, type IssuedCertificate } from '../../../src/pki/index.js';
import { type Secret, SecretSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';

export interface TestPki {
  readonly ca: CertificateAuthority;
  /** Another root for the same trust domain: certificates it signs must not verify against `ca`. */
  readonly wrongCa: CertificateAuthority;
  workload(ns: string, sa: string, ca?: CertificateAuthority): Promise<IssuedCertificate>;
  server(...dnsNames: string[]): Promise<IssuedCertificate>;
}

export async function testPki(): Promise<TestPki> {
  const ca = await createCa({ trustDomain: 'cluster.local', ttlSeconds: 86_400 * 2 });
  const wrongCa = await createCa({ trustDomain: 'cluster.local', ttlSeconds: 86_400 * 2 });
  return {
    ca, wrongCa,
    workload: (ns, sa, by = ca) => issueWorkloadCertificate(by, { spiffeId: `spiffe://${by.trustDomain}/ns/${ns}/sa/${sa}`, ttlSeconds: 3600 }),
    server: (...dnsNames) => issueServerCertificate(ca, { dnsNames, ipAddresses: ['127.0.0.1'], ttlSeconds: 3600 }),
  };
}

/** A `tls_certificate` SDS secret (inline PEM), as the SDS server sends `default` or `kubernetes://<name>`. */
export function certSecret(name: string, c: IssuedCertificate): Secret {
  return create(SecretSchema, { name, type: { case: 'tlsCertificate', value: { certificateChain: { specifier: { case: 'inlineString', value: c.certificateChainPem } }, privateKey: { specifier: { case: 'inlineString', value: c.privateKeyPem } } } } });
}

/** A `validation_context` SDS secret, as `ROOTCA` or `kubernetes://<name>-cacert`. */
export function caSecret(name: string, rootPem: string): Secret {
  return create(SecretSchema, { name, type: { case: 'validationContext', value: { trustedCa: { specifier: { case: 'inlineString', value: rootPem } } } } });
}
