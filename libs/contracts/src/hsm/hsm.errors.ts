import { defineErrors } from '../common/error-spec';

/**
 * Codes raised by the HSM daemon over `rpc.hsm.*` and relayed by the KMS. The HSM also raises shared
 * codes: INVALID_FIELD_ERR / BAD_BODY_ERR (bad input), UNPROCESSABLE_CIPHERTEXT_ERR (a ciphertext that
 * is not in the format or does not authenticate), DOMAIN_SEALED_ERR (the KMS maps "no responders" on
 * `rpc.hsm.d.<domainId>.*` to it) and INCORRECT_NONCE_ERR (import token nonce check).
 */
export const HSM_ERRORS = defineErrors({
  DOMAIN_NOT_FOUND_ERR: { status: 404, message: 'The HSM domain does not exist' },
  DOMAIN_EXISTS_ERR: { status: 409, message: 'The HSM domain already exists' },
  DOMAIN_STATE_ERR: { status: 409, message: 'The HSM domain is not in a state that allows this operation' },
  MASTER_KEY_ROTATION_UNSUPPORTED_ERR: { status: 409, message: 'This master key cannot be rotated by a key ceremony' },
  CEREMONY_PART_INVALID_ERR: { status: 400, message: 'The submitted key part is not valid' },
  KEY_OBJECT_NOT_FOUND_ERR: { status: 404, message: 'The key object does not exist in the HSM' },
  KEY_OBJECT_DESTROYED_ERR: { status: 410, message: 'The key object has been destroyed' },
  KEY_OBJECT_SUSPENDED_ERR: { status: 409, message: 'The key object is suspended and cannot be used' },
  KEY_OBJECT_NOT_EXPORTABLE_ERR: { status: 400, message: 'Only standard keys can be exported' },
  IMPORT_KEYPAIR_NOT_FOUND_ERR: { status: 404, message: 'The import key pair does not exist in this domain' },
  IMPORT_PAYLOAD_INVALID_ERR: { status: 400, message: 'The encrypted key could not be decrypted with the import key' },
});
