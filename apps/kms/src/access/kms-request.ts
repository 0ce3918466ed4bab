import type { FastifyRequest } from 'fastify';
import type { AuthenticatedCaller } from '@keyward/platform';
import type { KmsInstance } from '../instances/instance.repository';

/** What the KMS guard and handlers attach to a request (read by the audit hook). */
export type KmsRequest = FastifyRequest & {
  keywardCaller?: AuthenticatedCaller;
  kmsInstance?: KmsInstance;
  kmsAudit?: { action: string; keyId?: string };
};
