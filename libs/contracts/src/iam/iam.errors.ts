import { defineErrors } from '../common/error-spec';

/**
 * IAM's own codes. The HTTP layer answers them in IBM IAM's `{errorCode, errorMessage, context}` shape;
 * `errorCode` is the code below (IBM's BXNIM numbers are opaque to clients, which read the status).
 */
export const IAM_ERRORS = defineErrors({
  INVALID_GRANT_ERR: { status: 400, message: 'The API key or grant is not valid' },
  UNSUPPORTED_GRANT_TYPE_ERR: { status: 400, message: 'The grant type is not supported' },
  TOKEN_EXPIRED_ERR: { status: 401, message: 'The token has expired' },
  TOKEN_INVALID_ERR: { status: 401, message: 'The token is not valid' },
  INSTANCE_NOT_FOUND_ERR: { status: 404, message: 'The service instance does not exist' },
  POLICY_NOT_FOUND_ERR: { status: 404, message: 'The policy does not exist' },
  POLICY_CONFLICT_ERR: { status: 409, message: 'An identical policy already exists' },
  SOURCE_CRN_MISMATCH_ERR: {
    status: 403,
    message: 'The source CRN names a service that the calling service may not act for',
  },
});
