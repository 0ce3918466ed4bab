import { z } from 'zod';

/** The `/health` body every app answers with (DESIGN.md "Runtime"). */
export const healthStatusSchema = z.enum(['ok', 'degraded', 'down']);
export type HealthStatus = z.infer<typeof healthStatusSchema>;

export const dependencyCheckSchema = z.object({
  status: z.enum(['ok', 'down']),
  detail: z.string().optional(),
});
export type DependencyCheck = z.infer<typeof dependencyCheckSchema>;

export const healthReportSchema = z.object({
  status: healthStatusSchema,
  checks: z.record(z.string(), dependencyCheckSchema),
});
export type HealthReport = z.infer<typeof healthReportSchema>;
