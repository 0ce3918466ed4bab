import type { KeywardAppName } from '@keyward/contracts';

/** The apps this e2e project starts (part 2 adds the consumers). */
export const E2E_APPS: readonly KeywardAppName[] = ['iam', 'hsm', 'kms'];
