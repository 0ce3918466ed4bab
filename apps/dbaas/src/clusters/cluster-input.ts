import { z } from 'zod';
import { REGIONS } from '@keyward/contracts';

/** Cluster, database, user and table names: a letter, then letters, digits, `-` or `_` (PostgreSQL-friendly). */
export const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const name = z.string().regex(NAME_PATTERN, 'must start with a lower-case letter and hold only a-z, 0-9, "-" and "_" (at most 63 characters)');

export const DBAAS_PLANS = ['free', 'standard', 'enterprise'] as const;

export const createClusterBody = z
  .object({
    name,
    region: z.enum(REGIONS, { message: `must be one of ${REGIONS.join(', ')}` }),
    plan: z.enum(DBAAS_PLANS, { message: `must be one of ${DBAAS_PLANS.join(', ')}` }),
    resourceGroupId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a resource group id').optional(),
    /** The root key (Key Protect or HPCS CRN) that protects the cluster's data key, fixed at creation. */
    keyCrn: z.string().min(1).max(512).optional(),
    /** The root key that protects backups; the cluster's key when absent. */
    backupKeyCrn: z.string().min(1).max(512).optional(),
    databases: z.array(name).max(20).default([]),
    users: z.array(name).max(20).default([]),
  })
  .strict();
export type CreateClusterInput = z.infer<typeof createClusterBody>;

/** What may change after creation: only the name (the keys are fixed, see ClustersService.update). */
export const updateClusterBody = z
  .object({ name: name.optional(), keyCrn: z.unknown().optional(), backupKeyCrn: z.unknown().optional() })
  .strict();
