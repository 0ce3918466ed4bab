import { defineErrors } from '../common/error-spec';

/**
 * IAM's own codes. The HTTP layer answers them in IBM IAM's `{errorCode, errorMessage, context}` shape;
 * `errorCode` is the code below (IBM's BXNIM numbers are opaque to clients, which read the status).
 */
export const IAM_ERRORS = defineErrors({
  /** IBM IAM's code for an unknown, disabled or deleted API key (clients match on it). */
  BXNIM0415E: { status: 400, message: 'Provided API key could not be found' },
  INVALID_GRANT_ERR: { status: 400, message: 'The API key or grant is not valid' },
  UNSUPPORTED_GRANT_TYPE_ERR: { status: 400, message: 'The grant type is not supported' },
  TOKEN_EXPIRED_ERR: { status: 401, message: 'The token has expired' },
  TOKEN_INVALID_ERR: { status: 401, message: 'The token is not valid' },
  INSTANCE_NOT_FOUND_ERR: { status: 404, message: 'The service instance does not exist' },
  POLICY_NOT_FOUND_ERR: { status: 404, message: 'The policy does not exist' },
  /** If-Match names a version of the policy that is no longer current. */
  POLICY_PRECONDITION_ERR: { status: 412, message: 'The policy was changed since the given ETag: read it again' },
  PRECONDITION_REQUIRED_ERR: { status: 428, message: 'The If-Match header is required to update a policy' },
  INVALID_POLICY_ERR: { status: 400, message: 'The policy is not valid' },
  IDENTITY_NOT_FOUND_ERR: { status: 404, message: 'The identity does not exist' },
  APIKEY_NOT_FOUND_ERR: { status: 404, message: 'The API key does not exist' },
  ACCOUNT_NOT_FOUND_ERR: { status: 404, message: 'The account does not exist' },
  RESOURCE_GROUP_NOT_FOUND_ERR: { status: 404, message: 'The resource group does not exist' },
  /** Keyward service IDs get their API keys only from the environment at IAM's bootstrap. */
  SERVICE_ID_MANAGED_ERR: { status: 403, message: 'API keys of a Keyward service ID come only from its KEYWARD_SERVICE_APIKEY_<NAME> variable' },
  POLICY_CONFLICT_ERR: { status: 409, message: 'An identical policy already exists' },
  SOURCE_CRN_MISMATCH_ERR: {
    status: 403,
    message: 'The source CRN names a service that the calling service may not act for',
  },
});
