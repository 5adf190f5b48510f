/**
 * A certificate authority for the mesh: a throwaway self-signed root made in memory
 * ({@link createCa}), or one loaded from PEM ({@link loadCa}, {@link loadCaFromFiles}, what
 * `--ca-cert/--ca-key` read, like Istio's plugged-in `cacerts`). The signing key stays inside the
 * object; only `issue*` in `issue.ts` can use it.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PkiError } from './errors.js';
import { checkTrustDomain } from './spiffe.js';
import { type CryptoKey, EC_P256, generateKeyPair, randomSerial, type SigningAlgorithm, webcrypto, x509 } from './_x509.js';

/** A CA that can sign workload and server certificates. Immutable. */
export interface CertificateAuthority {
  /** SPIFFE trust domain of the identities it issues, e.g. `cluster.local` (MeshConfig `trustDomain`). */
  readonly trustDomain: string;
  /** The signing certificate, PEM. */
  readonly certificatePem: string;
  /**
   * The root of trust, PEM: what peers verify against (Envoy `trusted_ca`, SDS `ROOTCA`, Istio's
   * `root-cert.pem`). Equal to `certificatePem` for a self-signed root.
   */
  readonly rootCertificatePem: string;
  /** The signing certificate and any intermediates above it, PEM, without the root: appended to every issued chain. */
  readonly chainPem: string;
  /** End of the signing certificate's validity; issued certificates never outlive it. */
  readonly notAfter: Date;
}

/** Options of {@link createCa}. */
export interface CreateCaOptions {
  /** SPIFFE trust domain. Throws `PKI_BAD_TRUST_DOMAIN` when not one. */
  readonly trustDomain: string;
  /** Validity of the root in seconds. @default 315360000 (10 years, Istio's self-signed root) */
  readonly ttlSeconds?: number;
}

/** Options of {@link loadCa}: PEM text as Istio's `cacerts` secret holds it. */
export interface LoadCaOptions {
  /** The signing certificate (`ca-cert.pem`), optionally followed by intermediates up to the root (`cert-chain.pem`). */
  readonly certificatePem: string;
  /** Its private key (`ca-key.pem`): PKCS#8, SEC1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`); EC P-256/P-384 or RSA. */
  readonly privateKeyPem: string;
  /** The root (`root-cert.pem`). @default the last certificate of `certificatePem` */
  readonly rootCertificatePem?: string;
  /** @default 'cluster.local' */
  readonly trustDomain?: string;
  /** Names the source in errors, e.g. the file name. @default 'certificatePem' */
  readonly source?: { readonly certificate?: string; readonly privateKey?: string };
}

/** What `issue.ts` needs to sign; never exported from the package. */
export interface Signer {
  readonly cert: x509.X509Certificate;
  readonly key: CryptoKey;
  readonly algorithm: SigningAlgorithm & { readonly hash: string };
}

const SIGNERS = new WeakMap<CertificateAuthority, Signer>();

/** @internal The signing key and certificate of `ca`; throws when `ca` was not made by this module. */
export function signerOf(ca: CertificateAuthority): Signer {
  const s = SIGNERS.get(ca);
  if (!s) throw new TypeError('not a CertificateAuthority made by createCa/loadCa');
  return s;
}

const DEFAULT_CA_TTL_SECONDS = 10 * 365 * 24 * 3600;

/**
 * A new self-signed root CA with an ECDSA P-256 key, subject `O=<trustDomain>` (as Istio's
 * self-signed root), valid from one minute ago for `ttlSeconds`. The key exists only in memory.
 */
export async function createCa(opts: CreateCaOptions): Promise<CertificateAuthority> {
  const trustDomain = checkTrustDomain(opts.trustDomain);
  const ttl = checkTtl(opts.ttlSeconds ?? DEFAULT_CA_TTL_SECONDS, 'ttlSeconds');
  const keys = await generateKeyPair();
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ O: [trustDomain] }],
    notBefore,
    notAfter: new Date(notBefore.getTime() + 60_000 + ttl * 1000),
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pem = cert.toString('pem');
  return register({ trustDomain, certificatePem: pem, rootCertificatePem: pem, chainPem: pem, notAfter: cert.notAfter }, { cert, key: keys.privateKey, algorithm: EC_P256 });
}

/**
 * A CA from PEM text. Checks that the first certificate is a CA (basicConstraints `CA:TRUE`),
 * that the key belongs to it, and that it has not expired. Errors (`PkiError`): `PKI_BAD_PEM`,
 * `PKI_NOT_A_CA`, `PKI_KEY_MISMATCH`, `PKI_UNSUPPORTED_KEY`, `PKI_CA_EXPIRED`, `PKI_BAD_TRUST_DOMAIN`.
 */
export async function loadCa(opts: LoadCaOptions): Promise<CertificateAuthority> {
  const certSource = opts.source?.certificate ?? 'certificatePem';
  const keySource = opts.source?.privateKey ?? 'privateKeyPem';
  const trustDomain = checkTrustDomain(opts.trustDomain ?? 'cluster.local');
  const chain = parseCertificates(opts.certificatePem, certSource);
  const cert = chain[0]!;
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) throw new PkiError('PKI_NOT_A_CA', `${certSource}: the certificate "${cert.subject}" is not a CA (basicConstraints CA:TRUE missing); give the CA's certificate (Istio: ca-cert.pem), not a leaf`);
  if (cert.notAfter.getTime() <= Date.now()) throw new PkiError('PKI_CA_EXPIRED', `${certSource}: the CA certificate "${cert.subject}" expired at ${cert.notAfter.toISOString()}; rotate it`);
  const keyObject = readPrivateKey(opts.privateKeyPem, keySource);
  const certSpki = Buffer.from(cert.publicKey.rawData);
  const keySpki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  if (!certSpki.equals(keySpki)) throw new PkiError('PKI_KEY_MISMATCH', `${keySource}: the private key does not belong to the certificate "${cert.subject}" in ${certSource}; pass the key the CA certificate was made for (Istio: ca-key.pem)`);
  const algorithm = algorithmOf(keyObject, keySource);
  const key = await webcrypto.subtle.importKey('pkcs8', keyObject.export({ type: 'pkcs8', format: 'der' }), algorithm, false, ['sign']);
  const root = opts.rootCertificatePem !== undefined ? parseCertificates(opts.rootCertificatePem, 'rootCertificatePem')[0]! : chain[chain.length - 1]!;
  const selfSigned = (c: x509.X509Certificate) => c.subject === c.issuer;
  const above = chain.filter((c, i) => !(selfSigned(c) && i > 0) && !(c.equal(root) && i > 0));
  return register({
    trustDomain,
    certificatePem: cert.toString('pem'),
    rootCertificatePem: root.toString('pem'),
    chainPem: above.map((c) => c.toString('pem')).join('\n'),
    notAfter: cert.notAfter,
  }, { cert, key, algorithm });
}

/** Options of {@link loadCaFromFiles}; the files of Istio's `cacerts` secret. */
export interface LoadCaFilesOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly rootCertFile?: string;
  readonly trustDomain?: string;
}

/** {@link loadCa} from files (`--ca-cert`, `--ca-key`); a file that cannot be read throws `PKI_READ_FAILED` naming it. */
export async function loadCaFromFiles(opts: LoadCaFilesOptions): Promise<CertificateAuthority> {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new PkiError('PKI_READ_FAILED', `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  return loadCa({
    certificatePem: read(opts.certFile),
    privateKeyPem: read(opts.keyFile),
    ...(opts.rootCertFile ? { rootCertificatePem: read(opts.rootCertFile) } : {}),
    ...(opts.trustDomain ? { trustDomain: opts.trustDomain } : {}),
    source: { certificate: opts.certFile, privateKey: opts.keyFile },
  });
}

/** Checks a TTL in seconds: a positive integer. Throws `PKI_BAD_TTL`. */
export function checkTtl(ttlSeconds: number, field: string): number {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new PkiError('PKI_BAD_TTL', `${field}: ${String(ttlSeconds)} is not a validity period; give whole seconds > 0, e.g. 86400 for a day`);
  }
  return ttlSeconds;
}

/** Every certificate in PEM text, in order. Throws `PKI_BAD_PEM` when there is none or one does not parse. */
export function parseCertificates(pem: string, source: string): x509.X509Certificate[] {
  const blocks = typeof pem === 'string' ? pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [] : [];
  if (blocks.length === 0) throw new PkiError('PKI_BAD_PEM', `${source}: no "-----BEGIN CERTIFICATE-----" block found; expected PEM certificates`);
  return blocks.map((b, i) => {
    try {
      return new x509.X509Certificate(b);
    } catch (e) {
      throw new PkiError('PKI_BAD_PEM', `${source}: certificate #${i + 1} does not parse (${(e as Error).message})`);
    }
  });
}

function readPrivateKey(pem: string, source: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new PkiError('PKI_BAD_PEM', `${source}: not a PEM private key (${(e as Error).message}); expected PKCS#8 "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY"`);
  }
}

function algorithmOf(key: KeyObject, source: string): Signer['algorithm'] {
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve === 'prime256v1') return EC_P256;
  if (key.asymmetricKeyType === 'ec' && curve === 'secp384r1') return { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' } ;
  throw new PkiError('PKI_UNSUPPORTED_KEY', `${source}: ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''} keys are not supported; use EC P-256, EC P-384 or RSA`);
}

function register(ca: CertificateAuthority, signer: Signer): CertificateAuthority {
  const frozen = Object.freeze(ca);
  SIGNERS.set(frozen, signer);
  return frozen;
}
