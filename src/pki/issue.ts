/**
 * Leaf certificates signed by a {@link CertificateAuthority}: workload certificates carrying a SPIFFE
 * identity (what istiod's CA issues to each proxy over SDS) and plain server certificates (gateway
 * credentials, test servers). Each gets a fresh ECDSA P-256 key.
 */
import { type CertificateAuthority, checkTtl, signerOf } from './ca.js';
import { PkiError } from './errors.js';
import { parseSpiffeId } from './spiffe.js';
import { generateKeyPair, privateKeyPem, randomSerial, x509 } from './_x509.js';

/** A certificate and its key, PEM, ready for Node's `tls` (`cert`, `key`, `ca`), grpc-js or an Envoy `TlsCertificate`. */
export interface IssuedCertificate {
  /** The leaf then the CA chain (without the root), PEM: `tls.createServer({ cert })`, Envoy `certificate_chain`. */
  readonly certificateChainPem: string;
  /** The leaf alone, PEM. */
  readonly certificatePem: string;
  /** The leaf's key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`): `tls.createServer({ key })`, Envoy `private_key`. */
  readonly privateKeyPem: string;
  /** The root to verify it against, PEM: `tls.connect({ ca })`, Envoy `trusted_ca`. */
  readonly rootCertificatePem: string;
  /** Serial number, lowercase hex. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The SPIFFE ID in the URI SAN, for workload certificates. */
  readonly spiffeId?: string;
  /** DNS SANs. */
  readonly dnsNames: readonly string[];
}

/** Options of {@link issueWorkloadCertificate}. */
export interface WorkloadCertificateOptions {
  /** `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`; its trust domain must be the CA's. */
  readonly spiffeId: string;
  /** Extra DNS SANs. @default [] */
  readonly dnsNames?: readonly string[];
  /** Validity in seconds. @default 86400 (24 h, Istio's `DEFAULT_WORKLOAD_CERT_TTL`) */
  readonly ttlSeconds?: number;
}

/** Options of {@link issueServerCertificate}. */
export interface ServerCertificateOptions {
  /** DNS SANs; the first is also the subject CN. At least one name (DNS or IP). */
  readonly dnsNames?: readonly string[];
  /** IP SANs, e.g. `127.0.0.1`. @default [] */
  readonly ipAddresses?: readonly string[];
  /** Validity in seconds. @default 86400 */
  readonly ttlSeconds?: number;
}

/** How far `notBefore` is set in the past, so peers with a slightly slow clock accept a fresh certificate. */
export const CLOCK_SKEW_SECONDS = 60;
const DAY = 86_400;

/**
 * A workload certificate as Istio's CA issues it: empty subject, the SPIFFE ID as the only URI SAN
 * (critical, since the subject is empty), key usage digitalSignature + keyEncipherment, extended key
 * usage serverAuth + clientAuth (the same certificate serves and dials in mTLS), not a CA.
 * Errors (`PkiError`): `PKI_BAD_SPIFFE_ID`, `PKI_TRUST_DOMAIN_MISMATCH`, `PKI_BAD_DNS_NAME`,
 * `PKI_BAD_TTL`, `PKI_TTL_EXCEEDS_CA`.
 */
export async function issueWorkloadCertificate(ca: CertificateAuthority, opts: WorkloadCertificateOptions): Promise<IssuedCertificate> {
  const id = parseSpiffeId(opts.spiffeId);
  if (id.trustDomain !== ca.trustDomain) {
    throw new PkiError('PKI_TRUST_DOMAIN_MISMATCH', `spiffeId: "${opts.spiffeId}" is in trust domain "${id.trustDomain}" but this CA issues for "${ca.trustDomain}"; use spiffe://${ca.trustDomain}/${id.path}, or a CA made with trustDomain "${id.trustDomain}"`);
  }
  const dnsNames = (opts.dnsNames ?? []).map((n, i) => checkDnsName(n, `dnsNames[${i}]`));
  const spiffeId = id.toString();
  return issue(ca, {
    subject: undefined,
    sans: [{ type: 'url', value: spiffeId }, ...dnsNames.map((value) => ({ type: 'dns' as const, value }))],
    sanCritical: true,
    ttlSeconds: opts.ttlSeconds ?? DAY,
    usages: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    spiffeId,
    dnsNames,
  });
}

/**
 * A TLS server certificate for `dnsNames` / `ipAddresses`: subject `CN=<first name>`, extended key
 * usage serverAuth. Errors (`PkiError`): `PKI_NO_NAMES`, `PKI_BAD_DNS_NAME`, `PKI_BAD_TTL`, `PKI_TTL_EXCEEDS_CA`.
 */
export async function issueServerCertificate(ca: CertificateAuthority, opts: ServerCertificateOptions): Promise<IssuedCertificate> {
  const dnsNames = (opts.dnsNames ?? []).map((n, i) => checkDnsName(n, `dnsNames[${i}]`));
  const ips = (opts.ipAddresses ?? []).map((ip, i) => checkIp(ip, `ipAddresses[${i}]`));
  if (dnsNames.length + ips.length === 0) throw new PkiError('PKI_NO_NAMES', 'dnsNames: a server certificate needs at least one DNS name or IP address, e.g. { dnsNames: ["shop.example.com"] }');
  return issue(ca, {
    subject: `CN=${dnsNames[0] ?? ips[0]}`,
    sans: [...dnsNames.map((value) => ({ type: 'dns' as const, value })), ...ips.map((value) => ({ type: 'ip' as const, value }))],
    sanCritical: false,
    ttlSeconds: opts.ttlSeconds ?? DAY,
    usages: [x509.ExtendedKeyUsage.serverAuth],
    dnsNames,
  });
}

interface Leaf {
  subject: string | undefined;
  sans: { type: 'url' | 'dns' | 'ip'; value: string }[];
  sanCritical: boolean;
  ttlSeconds: number;
  usages: x509.ExtendedKeyUsage[];
  spiffeId?: string;
  dnsNames: string[];
}

async function issue(ca: CertificateAuthority, leaf: Leaf): Promise<IssuedCertificate> {
  const ttl = checkTtl(leaf.ttlSeconds, 'ttlSeconds');
  const signer = signerOf(ca);
  const now = Date.now();
  const notBefore = new Date(now - CLOCK_SKEW_SECONDS * 1000);
  const notAfter = new Date(now + ttl * 1000);
  if (notAfter.getTime() > ca.notAfter.getTime()) {
    throw new PkiError('PKI_TTL_EXCEEDS_CA', `ttlSeconds: ${ttl} s would end ${notAfter.toISOString()}, after the CA certificate expires (${ca.notAfter.toISOString()}); ask for at most ${Math.floor((ca.notAfter.getTime() - now) / 1000)} s or rotate the CA`);
  }
  const keys = await generateKeyPair();
  const serialNumber = randomSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: leaf.subject ?? '',
    issuer: signer.cert.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(leaf.usages, false),
      new x509.SubjectAlternativeNameExtension(leaf.sans, leaf.sanCritical),
      await x509.AuthorityKeyIdentifierExtension.create(signer.cert, false),
    ],
  });
  const certificatePem = cert.toString('pem');
  return Object.freeze({
    certificateChainPem: [certificatePem, ...(ca.chainPem === ca.rootCertificatePem ? [] : [ca.chainPem])].join('\n'),
    certificatePem,
    privateKeyPem: await privateKeyPem(keys.privateKey),
    rootCertificatePem: ca.rootCertificatePem,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    ...(leaf.spiffeId ? { spiffeId: leaf.spiffeId } : {}),
    dnsNames: Object.freeze([...leaf.dnsNames]),
  });
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function checkDnsName(name: string, field: string): string {
  const n = typeof name === 'string' ? name.toLowerCase() : '';
  const labels = n.startsWith('*.') ? n.slice(2).split('.') : n.split('.');
  if (n === '' || n.length > 253 || !labels.every((l) => LABEL.test(l))) {
    throw new PkiError('PKI_BAD_DNS_NAME', `${field}: ${JSON.stringify(name)} is not a DNS name; use labels of letters, digits and "-" separated by ".", optionally starting with "*.", e.g. "reviews.shop.svc.cluster.local"`);
  }
  return n;
}

function checkIp(ip: string, field: string): string {
  if (typeof ip !== 'string' || !/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/.test(ip) || (ip.includes('.') && ip.split('.').some((o) => Number(o) > 255))) {
    throw new PkiError('PKI_BAD_DNS_NAME', `${field}: ${JSON.stringify(ip)} is not an IP address, e.g. "127.0.0.1"`);
  }
  return ip;
}
