import { z } from 'zod';

/** `rpc.<service>.ping.v1`: proves the request/reply wiring, and that the request id crossed the hop. */
export const pingRequestSchema = z.object({}).strict();
export type PingRequest = z.infer<typeof pingRequestSchema>;

export const pingResponseSchema = z.object({
  service: z.string(),
  replicaId: z.string(),
  /** The x-request-id header the responder saw, so callers can prove propagation. */
  requestId: z.string().optional(),
});
export type PingResponse = z.infer<typeof pingResponseSchema>;
