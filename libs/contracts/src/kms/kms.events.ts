import { z } from 'zod';

/** A key state change, published from the KMS outbox (DESIGN.md "Events to consumers"). */
export const kmsKeyEventSchema = z.object({
  eventId: z.string(),
  eventType: z.enum(['key.rotated', 'key.disabled', 'key.enabled', 'key.deleted', 'key.restored', 'key.purged', 'key.expired']),
  instanceId: z.string(),
  keyId: z.string(),
  keyCrn: z.string(),
  keyState: z.number().int(),
  oldKeyVersionId: z.string(),
  newKeyVersionId: z.string(),
  registrations: z.array(z.object({ resourceCrn: z.string(), preventKeyDeletion: z.boolean() })),
  timestamp: z.string(),
});
export type KmsKeyEvent = z.infer<typeof kmsKeyEventSchema>;
