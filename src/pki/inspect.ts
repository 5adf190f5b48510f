/** Reading identities back out of certificates (what a verifier or proxy needs after a TLS handshake). */
import { PkiError } from './errors.js';
import { x509 } from './_x509.js';

/**
 * The SPIFFE ID in a certificate's URI SAN (`spiffe://…`), or `undefined` when it has none. Takes
 * PEM or DER (e.g. `tlsSocket.getPeerCertificate().raw`). Throws `PKI_BAD_PEM` when it does not parse.
 */
export function spiffeIdOfCertificate(cert: string | Uint8Array): string | undefined {
  let parsed: x509.X509Certificate;
  try {
    parsed = new x509.X509Certificate(typeof cert === 'string' ? cert : new Uint8Array(cert));
  } catch (e) {
    throw new PkiError('PKI_BAD_PEM', `certificate does not parse (${(e as Error).message})`);
  }
  const san = parsed.getExtension(x509.SubjectAlternativeNameExtension);
  return san?.names.items.find((n) => n.type === 'url' && n.value.startsWith('spiffe://'))?.value;
}
