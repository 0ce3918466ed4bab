import { createHash } from 'node:crypto';

/**
 * Where an entity falls for a feature, 0 ≤ bucket < 100 (two decimals): the first 32 bits of
 * SHA-256(`<featureId>:<entityId>`), scaled. Deterministic across replicas and restarts, independent
 * per feature (an entity in the first 10 % of one feature is not in the first 10 % of every feature).
 */
export function rolloutBucket(entityId: string, featureId: string): number {
  const digest = createHash('sha256').update(`${featureId}:${entityId}`, 'utf8').digest();
  return (digest.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

/** Whether the entity is inside a rollout of `percentage` (0–100) for the feature. */
export function isInRollout(entityId: string, featureId: string, percentage: number): boolean {
  if (percentage >= 100) return true;
  if (percentage <= 0) return false;
  return rolloutBucket(entityId, featureId) < percentage;
}
