import type { KeywardAppName } from '@keyward/contracts';

/** The apps this e2e project starts: all six services. */
export const E2E_APPS: readonly KeywardAppName[] = ['iam', 'hsm', 'kms', 'app-configuration', 'schematics', 'dbaas'];
