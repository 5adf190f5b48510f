/**
 * The one place `@peculiar/x509` is loaded. It resolves its ASN.1 classes through tsyringe, which
 * needs the `Reflect.metadata` polyfill before the first import; the library signs with Node's own
 * WebCrypto (`node:crypto` `webcrypto`), so no key material leaves Node's crypto.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

/** WebCrypto types from Node's own typings (the project compiles without the DOM lib). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type SigningAlgorithm = webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509, webcrypto };

/** The signature and key algorithm of every key meshproof generates: ECDSA P-256 with SHA-256 (Istio's `ECC_SIGNATURE_ALGORITHM=ECDSA`). */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Generates an extractable ECDSA P-256 key pair. */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) of a private key, as Node's `tls`, Envoy and grpc-js read it. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A random positive 128-bit serial number as hex (RFC 5280 allows up to 20 octets). */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}
