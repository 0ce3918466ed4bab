/**
 * Why a cryptographic input was refused. libs/crypto stays free of Nest and of the error table: the
 * HSM maps these reasons to its DomainError codes (UNPROCESSABLE_CIPHERTEXT_ERR, INVALID_FIELD_ERR, ...).
 * Messages never contain key bytes, parts or plaintext.
 */
export type CryptoErrorReason =
  /** Not in the format at all: bad base64, wrong magic or format version, too short or too long. */
  | 'malformed'
  /** Well formed, but authentication failed: tampered, wrong key, wrong AAD. */
  | 'unauthentic'
  /** A value the caller supplied has the wrong size or shape (key length, IV length, ...). */
  | 'invalid-input';

export class CryptoError extends Error {
  constructor(
    readonly reason: CryptoErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'CryptoError';
  }
}
