import type { FlagDefinition, FlagValue } from '../flags/flag-definition';
import { type EntityAttributes, type SegmentRule, entityMatchesRules } from '../segments/segment-rules';
import { isInRollout } from './rollout';

export interface Entity {
  id: string;
  attributes: EntityAttributes;
}

export interface Evaluation {
  value: FlagValue | null;
  /** Why: `disabled`, `segment` (with the segment rule's order), `rollout`, `default`. */
  reason: 'disabled' | 'segment' | 'rollout' | 'default';
  segmentRuleOrder?: number;
}

/**
 * A flag's value for one entity. Disabled → the disabled value. Otherwise the segment rules in
 * `order`: the first whose segments include the entity (and whose own rollout, when set, includes it)
 * gives its value. Else the flag's rollout percentage decides between the enabled and disabled value.
 * `segments` holds the rules of every segment the flag names (loaded only when it names some).
 */
export function evaluateFlag(flag: FlagDefinition, entity: Entity, segments: ReadonlyMap<string, readonly SegmentRule[]>): Evaluation {
  if (!flag.enabled) return { value: flag.disabledValue, reason: 'disabled' };
  const ordered = [...flag.segmentRules].sort((a, b) => a.order - b.order);
  for (const rule of ordered) {
    const member = rule.rules.some((group) =>
      group.segments.some((segmentId) => {
        const rules = segments.get(segmentId);
        return rules !== undefined && entityMatchesRules(rules, entity.attributes);
      }),
    );
    if (!member) continue;
    if (rule.rollout_percentage !== undefined && !isInRollout(entity.id, flag.id, rule.rollout_percentage)) continue;
    return { value: rule.value, reason: 'segment', segmentRuleOrder: rule.order };
  }
  if (flag.kind === 'property') return { value: flag.enabledValue, reason: 'default' };
  return isInRollout(entity.id, flag.id, flag.rolloutPercentage) ? { value: flag.enabledValue, reason: 'rollout' } : { value: flag.disabledValue, reason: 'rollout' };
}
