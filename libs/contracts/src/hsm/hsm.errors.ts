import { defineErrors } from '../common/error-spec';

/** Codes raised by the HSM daemon over `rpc.hsm.*` and relayed by the KMS. */
export const HSM_ERRORS = defineErrors({
  DOMAIN_NOT_FOUND_ERR: { status: 404, message: 'The HSM domain does not exist' },
  DOMAIN_STATE_ERR: { status: 409, message: 'The HSM domain is not in a state that allows this operation' },
  CEREMONY_PART_INVALID_ERR: { status: 400, message: 'The submitted key part is not valid' },
  KEY_OBJECT_NOT_FOUND_ERR: { status: 404, message: 'The key object does not exist in the HSM' },
  KEY_OBJECT_DESTROYED_ERR: { status: 410, message: 'The key object has been destroyed' },
});
