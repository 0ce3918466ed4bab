import { defineErrors } from '../common/error-spec';

/** What App Configuration (apps/app-configuration) tells its users beyond the common codes. */
export const APP_CONFIGURATION_ERRORS = defineErrors({
  /** A segment rule names an unknown attribute or operator, or its values do not fit the operator. */
  INVALID_SEGMENT_RULE_ERR: { status: 400, message: 'A segment rule is not valid' },
  /** The feature needs another plan (Key Management integrations: Enterprise only). */
  PLAN_NOT_ENTITLED_ERR: { status: 403, message: 'The instance plan does not include this feature' },
  /** The instance already has a Key Management integration. */
  KMS_INTEGRATION_EXISTS_ERR: { status: 409, message: 'The instance already has a Key Management integration' },
});
