/**
 * The runtime's throwaway mesh CA (`src/pki/`) and what it issues: SDS `default` (the workload
 * certificate of a SPIFFE identity `spiffe://<trust domain>/ns/<ns>/sa/<sa>`) and `ROOTCA` for each
 * proxy, and client certificates for the principals an authorization promise names.
 */
import { createCa, type CertificateAuthority, type IssuedCertificate } from '../../pki/index.js';
import type { Secret } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET, buildTlsCertificateSecret, buildValidationContextSecret } from '../../xds/sds/secrets.js';
import { WorkloadCertificates } from '../../xds/sds/workload-certificates.js';

export class MeshIdentities {
  private constructor(readonly ca: CertificateAuthority, private readonly certs: WorkloadCertificates) {}

  /** A new CA for `trustDomain` (e.g. `cluster.local`); certificates live one hour. */
  static async create(trustDomain: string): Promise<MeshIdentities> {
    const ca = await createCa({ trustDomain });
    return new MeshIdentities(ca, new WorkloadCertificates(ca, { ttlSeconds: 3600 }));
  }

  /** Identities issued by an existing CA (`verify --runtime` with the mesh CA the xDS server signs with). */
  static fromCa(ca: CertificateAuthority, ttlSeconds = 3600): MeshIdentities {
    return new MeshIdentities(ca, new WorkloadCertificates(ca, { ttlSeconds }));
  }

  get rootPem(): string {
    return this.ca.rootCertificatePem;
  }

  /** The certificate of principal `<trust domain>/ns/<ns>/sa/<sa>` (Istio's principal form, without `spiffe://`). */
  forPrincipal(principal: string): Promise<IssuedCertificate> {
    return this.certs.certificateFor(`spiffe://${principal}`);
  }

  /** SDS `default` and `ROOTCA` for a proxy running as `namespace`/`serviceAccount`. */
  async secretsFor(namespace: string, serviceAccount: string): Promise<Secret[]> {
    const cert = await this.forPrincipal(`${this.ca.trustDomain}/ns/${namespace}/sa/${serviceAccount}`);
    return [buildTlsCertificateSecret(WORKLOAD_CERT_SECRET, cert.certificateChainPem, cert.privateKeyPem), buildValidationContextSecret(ROOT_CA_SECRET, this.rootPem)];
  }
}
