import type { FlagDefinition } from '../flags/flag-definition';
import { parseSegmentRules } from '../segments/segment-rules';
import { evaluateFlag } from './flag-evaluator';
import { isInRollout, rolloutBucket } from './rollout';

const feature: FlagDefinition = {
  kind: 'feature',
  id: 'dark-mode',
  name: 'Dark mode',
  type: 'STRING',
  enabled: true,
  enabledValue: 'on',
  disabledValue: 'off',
  rolloutPercentage: 100,
  segmentRules: [
    { rules: [{ segments: ['staff'] }], value: 'staff-value', order: 2 },
    { rules: [{ segments: ['germany'] }], value: 'de-value', order: 1 },
  ],
  collections: [],
};
const segments = new Map([
  ['staff', parseSegmentRules([{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }])],
  ['germany', parseSegmentRules([{ attribute_name: 'country', operator: 'is', values: ['DE'] }])],
]);

describe('rollout', () => {
  it('is deterministic: the same entity and feature always land in the same bucket', () => {
    expect(rolloutBucket('user-1', 'dark-mode')).toBe(rolloutBucket('user-1', 'dark-mode'));
    // A pinned value: the hash must not change between releases, or users would flip.
    expect(rolloutBucket('user-1', 'dark-mode')).toBeCloseTo(75.08707512170076, 10);
    expect(rolloutBucket('user-1', 'dark-mode')).not.toBe(rolloutBucket('user-1', 'other-feature'));
  });

  it('includes about the given share of entities, growing monotonically with the percentage', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `entity-${i}`);
    const share = (percentage: number) => ids.filter((id) => isInRollout(id, 'dark-mode', percentage)).length / ids.length;
    expect(share(0)).toBe(0);
    expect(share(100)).toBe(1);
    expect(share(25)).toBeGreaterThan(0.23);
    expect(share(25)).toBeLessThan(0.27);
    // Whoever is in at 10 % stays in at 50 %.
    expect(ids.filter((id) => isInRollout(id, 'dark-mode', 10)).every((id) => isInRollout(id, 'dark-mode', 50))).toBe(true);
  });
});

describe('flag evaluation', () => {
  it('gives the disabled value when the flag is off, whatever the segments', () => {
    expect(evaluateFlag({ ...feature, enabled: false }, { id: 'u', attributes: { country: 'DE' } }, segments)).toEqual({ value: 'off', reason: 'disabled' });
  });

  it('applies segment rules in order, then the default', () => {
    const both = { id: 'u', attributes: { country: 'DE', email: 'a@example.com' } };
    expect(evaluateFlag(feature, both, segments)).toEqual({ value: 'de-value', reason: 'segment', segmentRuleOrder: 1 });
    expect(evaluateFlag(feature, { id: 'u', attributes: { email: 'a@example.com' } }, segments).value).toBe('staff-value');
    expect(evaluateFlag(feature, { id: 'u', attributes: { email: 'a@example.org' } }, segments)).toEqual({ value: 'on', reason: 'rollout' });
  });

  it('honours the rollout percentage deterministically', () => {
    const half = { ...feature, segmentRules: [], rolloutPercentage: 50 };
    const results = Array.from({ length: 200 }, (_, i) => evaluateFlag(half, { id: `e-${i}`, attributes: {} }, segments).value);
    expect(results).toContain('on');
    expect(results).toContain('off');
    expect(Array.from({ length: 200 }, (_, i) => evaluateFlag(half, { id: `e-${i}`, attributes: {} }, segments).value)).toEqual(results);
  });

  it('a segment rule with its own rollout falls through for entities outside it', () => {
    const partial = { ...feature, segmentRules: [{ rules: [{ segments: ['germany'] }], value: 'de-value', order: 1, rollout_percentage: 0 }] };
    expect(evaluateFlag(partial, { id: 'u', attributes: { country: 'DE' } }, segments).value).toBe('on');
  });

  it('a property has its value, or a segment’s', () => {
    const property: FlagDefinition = { ...feature, kind: 'property', rolloutPercentage: 0 };
    expect(evaluateFlag(property, { id: 'u', attributes: {} }, segments)).toEqual({ value: 'on', reason: 'default' });
    expect(evaluateFlag(property, { id: 'u', attributes: { country: 'DE' } }, segments).value).toBe('de-value');
  });
});
