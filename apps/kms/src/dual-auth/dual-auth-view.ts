import type { KmsInstance } from '../instances/instance.repository';

/** What the key view needs to say about dual authorization (KEY-PROTECT-API.md §3). */
export interface DualAuthFacts {
  policies?: { kind: string; enabled: boolean }[];
  deletionAuthorization?: { expiresAt: Date } | null;
}

/** A key is under dual authorization when its own policy or its instance's policy says so. */
export function dualAuthRequired(key: DualAuthFacts, instance: Pick<KmsInstance, 'policies'>): boolean {
  const own = key.policies?.find((p) => p.kind === 'dualAuthDelete')?.enabled ?? false;
  return own || (instance.policies?.dualAuthDelete ?? false);
}

/** The key's `dualAuthDelete` field: `{enabled}`, plus `keySetForDeletion` and `authExpiration` when enabled. */
export function dualAuthView(key: DualAuthFacts, instance: Pick<KmsInstance, 'policies'>, now: Date): Record<string, unknown> {
  if (!dualAuthRequired(key, instance)) return { enabled: false };
  const pending = key.deletionAuthorization && key.deletionAuthorization.expiresAt.getTime() > now.getTime() ? key.deletionAuthorization : undefined;
  return {
    enabled: true,
    keySetForDeletion: Boolean(pending),
    ...(pending ? { authExpiration: pending.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
  };
}
