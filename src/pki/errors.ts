/** Stable codes of {@link PkiError}; a program may match on them. */
export type PkiErrorCode =
  | 'PKI_BAD_TRUST_DOMAIN'
  | 'PKI_BAD_SPIFFE_ID'
  | 'PKI_TRUST_DOMAIN_MISMATCH'
  | 'PKI_BAD_TTL'
  | 'PKI_TTL_EXCEEDS_CA'
  | 'PKI_NO_NAMES'
  | 'PKI_BAD_DNS_NAME'
  | 'PKI_BAD_PEM'
  | 'PKI_NOT_A_CA'
  | 'PKI_KEY_MISMATCH'
  | 'PKI_UNSUPPORTED_KEY'
  | 'PKI_CA_EXPIRED'
  | 'PKI_READ_FAILED';

/** Every failure of `src/pki`: the message names the field, the bad value and what would be valid. */
export class PkiError extends Error {
  constructor(readonly code: PkiErrorCode, message: string) {
    super(message);
    this.name = 'PkiError';
  }
}
