import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { MeshObject } from '../../../mesh/object.js';
import { certInfoOf } from './_credentials.js';

/** The PEM blocks of `text` in order: type and DER bytes (Go `pem.Decode` in a loop). */
function pemBlocks(text: string): { type: string; der: Buffer }[] {
  const out: { type: string; der: Buffer }[] = [];
  for (const m of text.matchAll(/-----BEGIN ([^-\r\n]+)-----\r?\n([\s\S]*?)-----END \1-----/g)) {
    // Header lines (`Proc-Type: 4,ENCRYPTED`) hold a colon, which base64 never does.
    const body = m[2]!.split(/\r?\n/).filter((line) => !line.includes(':')).join('');
    out.push({ type: m[1]!, der: Buffer.from(body.replace(/\s+/g, ''), 'base64') });
  }
  return out;
}

/** Go `parsePrivateKey`: PKCS #1, then PKCS #8, then SEC 1 (EC), whatever the PEM type says; undefined when none parses. */
function parsePrivateKey(der: Buffer): KeyObject | undefined {
  for (const type of ['pkcs1', 'pkcs8', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  return undefined;
}

/**
 * Why istiod refuses a Secret as a Gateway API certificateRef, or undefined when it takes it (pilot/pkg/config/kube/gateway
 * conversion.go `buildSecretReference`: `kube.ExtractCertInfo`, then Go `tls.X509KeyPair` on the certificate and key):
 * the certificate needs a `CERTIFICATE` PEM block, the first of which parses as X.509; the key needs a PEM block of
 * type `PRIVATE KEY` or `… PRIVATE KEY` that parses as PKCS #1, PKCS #8 or SEC 1; the key must be the private half of
 * the first certificate's public key. Validity dates are not judged here (X509KeyPair does not), unlike an Istio
 * Gateway's credentialName (`certificateProblem`). Messages quote Go's where it has one.
 */
export function keyPairProblem(secret: MeshObject): string | undefined {
  const info = certInfoOf(secret);
  if (typeof info === 'string') return info;
  const keyKey = info.certKey === 'cert' ? 'key' : 'tls.key';
  const certBlocks = pemBlocks(info.cert.toString('utf8'));
  const certs = certBlocks.filter((b) => b.type === 'CERTIFICATE');
  if (certs.length === 0) {
    if (certBlocks.length === 0) return `${info.certKey} holds no PEM data ("tls: failed to find any PEM data in certificate input")`;
    if (certBlocks.length === 1 && certBlocks[0]!.type.endsWith('PRIVATE KEY')) return `${info.certKey} holds a private key, not a certificate: the certificate and key may have been switched`;
    return `${info.certKey} holds no CERTIFICATE PEM block, only ${certBlocks.map((b) => b.type).join(', ')}`;
  }
  const keyBlocks = pemBlocks(info.key.toString('utf8'));
  const keyBlock = keyBlocks.find((b) => b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY'));
  if (!keyBlock) {
    if (keyBlocks.length === 0) return `${keyKey} holds no PEM data ("tls: failed to find any PEM data in key input")`;
    if (keyBlocks.every((b) => b.type === 'CERTIFICATE')) return `${keyKey} holds a certificate rather than a private key`;
    return `${keyKey} holds no PEM block of a type ending in "PRIVATE KEY", only ${keyBlocks.map((b) => b.type).join(', ')}`;
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certs[0]!.der);
  } catch {
    return `the first CERTIFICATE block of ${info.certKey} is not an X.509 certificate`;
  }
  const key = parsePrivateKey(keyBlock.der);
  if (!key) return `${keyKey} does not parse as a PKCS #1, PKCS #8 or EC private key ("tls: failed to parse private key"${keyBlock.type.startsWith('ENCRYPTED') ? '; it is encrypted' : ''})`;
  if (cert.publicKey.asymmetricKeyType !== key.asymmetricKeyType) {
    return `${keyKey} holds a key of type ${String(key.asymmetricKeyType).toUpperCase()} but the certificate's public key is of type ${String(cert.publicKey.asymmetricKeyType).toUpperCase()} ("tls: private key type does not match public key type")`;
  }
  if (!cert.checkPrivateKey(key)) return `${keyKey} is not the key of the certificate in ${info.certKey} ("tls: private key does not match public key")`;
  return undefined;
}
