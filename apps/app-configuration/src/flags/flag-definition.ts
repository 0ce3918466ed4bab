import { z } from 'zod';
import { DomainError } from '@keyward/contracts';

/** Ids are what IBM App Configuration accepts: letters, digits, `_` and `-`, up to 64. */
export const idSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be 1–64 letters, digits, _ or -');
const nameSchema = z.string().min(1).max(128);

export const FLAG_TYPES = ['BOOLEAN', 'STRING', 'NUMERIC'] as const;
export type FlagType = (typeof FLAG_TYPES)[number];
export type FlagValue = boolean | string | number;
export type FlagKind = 'feature' | 'property';

const valueSchema = z.union([z.boolean(), z.string().max(4096), z.number()]);

const segmentRuleSchema = z.object({
  rules: z.array(z.object({ segments: z.array(idSchema).min(1).max(50) })).min(1).max(10),
  value: valueSchema,
  order: z.number().int().min(1),
  rollout_percentage: z.number().int().min(0).max(100).optional(),
});
export type FlagSegmentRule = z.infer<typeof segmentRuleSchema>;

export const featureInputSchema = z.object({
  feature_id: idSchema,
  name: nameSchema,
  description: z.string().max(1024).optional(),
  type: z.enum(FLAG_TYPES),
  enabled_value: valueSchema,
  disabled_value: valueSchema,
  enabled: z.boolean().default(false),
  rollout_percentage: z.number().int().min(0).max(100).default(100),
  segment_rules: z.array(segmentRuleSchema).max(50).default([]),
  collections: z.array(z.object({ collection_id: idSchema })).max(50).default([]),
});

export const propertyInputSchema = z.object({
  property_id: idSchema,
  name: nameSchema,
  description: z.string().max(1024).optional(),
  type: z.enum(FLAG_TYPES),
  value: valueSchema,
  segment_rules: z.array(segmentRuleSchema).max(50).default([]),
  collections: z.array(z.object({ collection_id: idSchema })).max(50).default([]),
});

/** A feature or a property as the evaluator sees it (a property is an always-enabled flag at 100 %). */
export interface FlagDefinition {
  kind: FlagKind;
  id: string;
  name: string;
  type: FlagType;
  enabled: boolean;
  enabledValue: FlagValue;
  disabledValue: FlagValue | null;
  rolloutPercentage: number;
  segmentRules: FlagSegmentRule[];
  collections: string[];
}

/** Every value of a flag must be of its type: `BOOLEAN` true/false, `STRING` text, `NUMERIC` a number. */
export function assertValuesMatchType(type: FlagType, values: Array<{ field: string; value: FlagValue | null }>): void {
  const expected = type === 'BOOLEAN' ? 'boolean' : type === 'STRING' ? 'string' : 'number';
  for (const { field, value } of values) {
    if (value !== null && typeof value !== expected) {
      throw new DomainError('INVALID_FIELD_ERR', `${field} must be a ${expected} for a ${type} flag`, { target: { type: 'field', name: field } });
    }
  }
}

export function segmentIdsOf(rules: readonly FlagSegmentRule[]): string[] {
  return [...new Set(rules.flatMap((rule) => rule.rules.flatMap((group) => group.segments)))];
}
