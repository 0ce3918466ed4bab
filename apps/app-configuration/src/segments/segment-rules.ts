import { z } from 'zod';
import { DomainError } from '@keyward/contracts';

/** The operators a segment rule may use (IBM App Configuration's, plus `in` and `notIn` for lists). */
export const STRING_OPERATORS = ['is', 'isNot', 'in', 'notIn', 'contains', 'startsWith', 'endsWith'] as const;
export const NUMERIC_OPERATORS = ['greaterThan', 'greaterThanEquals', 'lesserThan', 'lesserThanEquals', 'lessThan', 'lessThanEquals'] as const;
export const OPERATORS = [...STRING_OPERATORS, ...NUMERIC_OPERATORS] as const;
export type Operator = (typeof OPERATORS)[number];

/**
 * Entity attributes a rule may name: identifiers (letters, digits, `_`, `-`, `.`), starting with a
 * letter or `_`. Anything else (spaces, `$`, `__proto__`…) is an unknown attribute: a 400.
 */
const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const RESERVED_ATTRIBUTES = new Set(['__proto__', 'constructor', 'prototype']);

/** A segment's definition is capped so one segment cannot bloat every evaluation. */
export const MAX_RULES = 50;
export const MAX_VALUES_PER_RULE = 100;
export const MAX_VALUE_LENGTH = 256;
export const MAX_SEGMENT_BYTES = 16 * 1024;

export interface SegmentRule {
  attribute_name: string;
  operator: Operator;
  values: (string | number)[];
}

const ruleInputSchema = z.object({
  attribute_name: z.string(),
  operator: z.string(),
  values: z.array(z.union([z.string(), z.number()])),
});

/**
 * Validates a segment's rules: every rule must hold for an entity to be in the segment (AND); a rule
 * holds when any of its values matches (OR). Errors name the offending rule (`rules.<i>.<field>`).
 */
export function parseSegmentRules(input: unknown): SegmentRule[] {
  if (JSON.stringify(input ?? null).length > MAX_SEGMENT_BYTES) {
    throw invalid('rules', `A segment's rules may take at most ${MAX_SEGMENT_BYTES} bytes`, 'PAYLOAD_TOO_LARGE_ERR');
  }
  if (!Array.isArray(input) || input.length === 0) throw invalid('rules', 'rules must be a non-empty array of {attribute_name, operator, values}');
  if (input.length > MAX_RULES) throw invalid('rules', `A segment may have at most ${MAX_RULES} rules`);
  return input.map((raw, index) => {
    const parsed = ruleInputSchema.safeParse(raw);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.map(String).join('.') ?? '';
      throw invalid(`rules.${index}${field ? `.${field}` : ''}`, `rule ${index} must be {attribute_name: string, operator: string, values: (string|number)[]}`);
    }
    const { attribute_name, operator, values } = parsed.data;
    if (!ATTRIBUTE_NAME.test(attribute_name) || RESERVED_ATTRIBUTES.has(attribute_name)) {
      throw invalid(`rules.${index}.attribute_name`, `rule ${index}: unknown attribute "${attribute_name.slice(0, 64)}": attribute names are identifiers (letters, digits, _ - .)`);
    }
    if (!(OPERATORS as readonly string[]).includes(operator)) {
      throw invalid(`rules.${index}.operator`, `rule ${index}: unknown operator "${operator.slice(0, 32)}"; use one of ${OPERATORS.join(', ')}`);
    }
    if (values.length === 0 || values.length > MAX_VALUES_PER_RULE) {
      throw invalid(`rules.${index}.values`, `rule ${index}: values must hold 1 to ${MAX_VALUES_PER_RULE} entries`);
    }
    if (values.some((value) => typeof value === 'string' && value.length > MAX_VALUE_LENGTH)) {
      throw invalid(`rules.${index}.values`, `rule ${index}: a value may have at most ${MAX_VALUE_LENGTH} characters`);
    }
    if ((NUMERIC_OPERATORS as readonly string[]).includes(operator) && values.some((value) => !Number.isFinite(Number(value)) || value === '')) {
      throw invalid(`rules.${index}.values`, `rule ${index}: ${operator} compares numbers; every value must be a number`);
    }
    return { attribute_name, operator: operator as Operator, values };
  });
}

export type EntityAttributes = Record<string, unknown>;

/** Whether an entity with `attributes` is in a segment with `rules`. A missing attribute never matches. */
export function entityMatchesRules(rules: readonly SegmentRule[], attributes: EntityAttributes): boolean {
  return rules.every((rule) => ruleMatches(rule, attributes));
}

function ruleMatches(rule: SegmentRule, attributes: EntityAttributes): boolean {
  if (!Object.prototype.hasOwnProperty.call(attributes, rule.attribute_name)) return false;
  const actual = attributes[rule.attribute_name];
  if (actual === null || actual === undefined || typeof actual === 'object') return false;
  if (rule.operator === 'isNot' || rule.operator === 'notIn') return rule.values.every((value) => String(actual) !== String(value));
  return rule.values.some((value) => valueMatches(rule.operator, actual as string | number | boolean, value));
}

function valueMatches(operator: Operator, actual: string | number | boolean, expected: string | number): boolean {
  const text = String(actual);
  const wanted = String(expected);
  switch (operator) {
    case 'is':
    case 'in':
      return text === wanted;
    case 'contains':
      return text.includes(wanted);
    case 'startsWith':
      return text.startsWith(wanted);
    case 'endsWith':
      return text.endsWith(wanted);
    default:
      return compareNumbers(operator, actual, expected);
  }
}

function compareNumbers(operator: Operator, actual: string | number | boolean, expected: string | number): boolean {
  if (typeof actual === 'boolean' || actual === '') return false;
  const left = Number(actual);
  const right = Number(expected);
  if (!Number.isFinite(left) || !Number.isFinite(right)) return false;
  switch (operator) {
    case 'greaterThan':
      return left > right;
    case 'greaterThanEquals':
      return left >= right;
    case 'lesserThan':
    case 'lessThan':
      return left < right;
    case 'lesserThanEquals':
    case 'lessThanEquals':
      return left <= right;
    default:
      return false;
  }
}

function invalid(field: string, message: string, code: 'INVALID_SEGMENT_RULE_ERR' | 'PAYLOAD_TOO_LARGE_ERR' = 'INVALID_SEGMENT_RULE_ERR'): DomainError {
  return new DomainError(code, message, { target: { type: 'field', name: field } });
}
