import { COMMON_ERRORS } from './common.errors';
import type { ErrorSpec } from './error-spec';
import { HSM_ERRORS } from '../hsm/hsm.errors';
import { IAM_ERRORS } from '../iam/iam.errors';
import { KMS_ERRORS } from '../kms/kms.errors';
import { KMS_CONSUMER_ERRORS } from '../kms/kms-consumer.errors';
import { APP_CONFIGURATION_ERRORS } from '../app-configuration/app-configuration.errors';

/** Every error code of Keyward, one table (each context defines its rows in its own file). */
export const ERROR_TABLE = {
  ...COMMON_ERRORS,
  ...KMS_ERRORS,
  ...KMS_CONSUMER_ERRORS,
  ...APP_CONFIGURATION_ERRORS,
  ...IAM_ERRORS,
  ...HSM_ERRORS,
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_TABLE, value);
}

export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_TABLE[code];
}
