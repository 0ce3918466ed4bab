import { DomainError } from '@keyward/contracts';
import { parseKeyCrn } from '@keyward/kms-client';
import type { ClusterRecord } from '../clusters/clusters.repository';

/** Key Protect's restore window after a deletion (DESIGN.md "Time"). */
export const RESTORE_WINDOW_MS = 30 * 24 * 3600_000;

/**
 * Refuses to use a cluster whose root key the last lifecycle event disabled, deleted or purged, from
 * the nodes' key status in the database: every replica (and one started after the event, with an empty
 * DEK cache) answers the same, and a deleted key's answer keeps saying until when it can be restored.
 */
export function assertClusterKeyUsable(cluster: ClusterRecord): void {
  const node = cluster.nodes[0];
  if (!node) return;
  const keyId = parseKeyCrn(cluster.keyCrn)?.keyId ?? cluster.keyCrn;
  switch (node.keyStatus) {
    case 'disabled':
      throw new DomainError('KMS_KEY_UNAVAILABLE_ERR', `The root key ${keyId} of cluster ${cluster.name} is disabled: the data cannot be read until the key is enabled again`);
    case 'deleted': {
      const until = node.keyStatusAt ? `; the key is restorable until ${new Date(node.keyStatusAt.getTime() + RESTORE_WINDOW_MS).toISOString()}` : '';
      throw new DomainError('KMS_KEY_UNAVAILABLE_ERR', `The root key ${keyId} of cluster ${cluster.name} was deleted: the data cannot be read${until}`);
    }
    case 'destroyed':
      throw new DomainError('KMS_KEY_PURGED_ERR', `The root key ${keyId} of cluster ${cluster.name} was purged: the data it protected is unrecoverable`);
    default:
  }
}
