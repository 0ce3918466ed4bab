import { z } from 'zod';

const variable = z.object({
  name: z.string().trim().min(1).max(256),
  value: z.string().max(65536),
  secure: z.boolean().default(false),
});

export const createWorkspaceBody = z.object({
  name: z.string().trim().min(1).max(128),
  location: z.enum(['us', 'eu']),
  resource_group: z.string().trim().min(1).max(256),
  template_source: z.string().trim().max(2048).default(''),
  variables: z.array(variable).max(500).default([]),
});

export const updateWorkspaceBody = z.object({
  name: z.string().trim().min(1).max(128).optional(),
  template_source: z.string().trim().max(2048).optional(),
  variables: z.array(variable).max(500).optional(),
});

export const stateBody = z.object({ state: z.string().max(8 * 1024 * 1024) });

export type VariableInput = z.infer<typeof variable>;
