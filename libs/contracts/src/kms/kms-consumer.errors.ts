import { defineErrors } from '../common/error-spec';

/**
 * What a consumer service (through libs/kms-client) tells its own user about the root key protecting
 * one of its resources. Not Key Protect reason codes: these are raised by consumers, never by the KMS.
 */
export const KMS_CONSUMER_ERRORS = defineErrors({
  /** The pre-flight `rpc.iam.authz.check.v1` found no authorization source service → KMS instance (Reader). */
  KMS_AUTHORIZATION_MISSING_ERR: { status: 403, message: 'The service is not authorized to use the key management instance' },
  /** The root key is disabled, deleted or expired: reads fail until it is enabled or restored. */
  KMS_KEY_UNAVAILABLE_ERR: { status: 409, message: 'The root key protecting this resource is not usable in its current state' },
  /** The root key was purged (crypto-shredded): the data it protected can never be read again. */
  KMS_KEY_PURGED_ERR: { status: 410, message: 'The root key protecting this resource was purged: the data is unrecoverable' },
});
