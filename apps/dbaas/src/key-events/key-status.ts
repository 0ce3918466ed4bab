import type { KmsKeyEvent } from '@keyward/contracts';

/** A node's key status after a lifecycle event of the cluster's root key (undefined: unchanged). */
export function keyStatusAfter(eventType: KmsKeyEvent['eventType']): string | undefined {
  switch (eventType) {
    case 'key.disabled':
      return 'disabled';
    case 'key.deleted':
      return 'deleted';
    case 'key.purged':
      return 'destroyed';
    case 'key.enabled':
    case 'key.restored':
      return 'active';
    default:
      return undefined;
  }
}
