import { usageError } from '../../cli-error';
import { KP_TYPES, kpEnvelope } from './kp-client';

/** `-e` / `-d` (both or neither is a usage error unless a default applies). */
export function enabledOption(options: { enable?: boolean; disable?: boolean }, fallback?: boolean): boolean {
  if (options.enable && options.disable) throw usageError('Give either -e (--enable) or -d (--disable), not both');
  if (options.enable) return true;
  if (options.disable) return false;
  if (fallback === undefined) throw usageError('Say whether to enable or disable the policy: -e (--enable) or -d (--disable)');
  return fallback;
}

/** A rotation interval: 1-12 months (KEY-PROTECT-API.md §3), else exit 2. */
export function monthlyInterval(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 12) throw usageError('--monthly-interval must be a whole number of months from 1 to 12');
  return Number(value);
}

/** `PUT /keys/{id}/policies?policy=rotation` body. */
export function keyRotationPolicyBody(enabled: boolean, intervalMonth: number | undefined): unknown {
  return kpEnvelope(KP_TYPES.policy, [{ type: KP_TYPES.policy, rotation: { enabled, ...(intervalMonth === undefined ? {} : { interval_month: intervalMonth }) } }]);
}

/** `PUT /keys/{id}/policies?policy=dualAuthDelete` body (once enabled on a key it cannot be turned off). */
export function keyDualAuthPolicyBody(enabled: boolean): unknown {
  return kpEnvelope(KP_TYPES.policy, [{ type: KP_TYPES.policy, dualAuthDelete: { enabled } }]);
}

export type InstancePolicyType = 'dualAuthDelete' | 'rotation' | 'allowedNetwork' | 'metrics' | 'keyCreateImportAccess';

/** `PUT /instance/policies?policy=<type>` body: `{policy_type, policy_data: {enabled, attributes?}}`. */
export function instancePolicyBody(policyType: InstancePolicyType, enabled: boolean, attributes?: Record<string, unknown>): unknown {
  const data: Record<string, unknown> = { enabled };
  if (attributes && Object.keys(attributes).length > 0) data['attributes'] = attributes;
  return kpEnvelope(KP_TYPES.policy, [{ policy_type: policyType, policy_data: data }]);
}

export const ALLOWED_NETWORKS = ['public-and-private', 'private-only'] as const;

/** Key aliases: 2-90 of `[A-Za-z0-9_-]`, not a UUID (KEY-PROTECT-API.md §2); the KMS has the last word on reserved names. */
export function aliasArgument(value: string): string {
  if (!/^[A-Za-z0-9_-]{2,90}$/.test(value) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw usageError(`"${value}" is not a valid alias`, 'Use 2-90 letters, digits, "_" or "-", not a UUID');
  }
  return value;
}
