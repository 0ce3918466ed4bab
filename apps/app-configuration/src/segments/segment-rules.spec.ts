import { DomainError } from '@keyward/contracts';
import { entityMatchesRules, parseSegmentRules } from './segment-rules';

function refusal(input: unknown): DomainError {
  try {
    parseSegmentRules(input);
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('the rules were accepted');
}

describe('segment rules', () => {
  it('matches each operator as documented', () => {
    const entity = { email: 'ann@example.com', country: 'DE', age: 42, plan: 'gold' };
    const cases: Array<[string, (string | number)[], boolean]> = [
      ['endsWith', ['@example.com'], true],
      ['endsWith', ['@example.org'], false],
      ['startsWith', ['ann@'], true],
      ['contains', ['@exa'], true],
      ['contains', ['bob'], false],
      ['is', ['ann@example.com'], true],
      ['isNot', ['ann@example.com'], false],
    ];
    for (const [operator, values, expected] of cases) {
      expect([operator, entityMatchesRules(parseSegmentRules([{ attribute_name: 'email', operator, values }]), entity)]).toEqual([operator, expected]);
    }
    expect(entityMatchesRules(parseSegmentRules([{ attribute_name: 'country', operator: 'in', values: ['FR', 'DE'] }]), entity)).toBe(true);
    expect(entityMatchesRules(parseSegmentRules([{ attribute_name: 'country', operator: 'notIn', values: ['FR', 'DE'] }]), entity)).toBe(false);
    expect(entityMatchesRules(parseSegmentRules([{ attribute_name: 'age', operator: 'greaterThan', values: [41] }]), entity)).toBe(true);
    expect(entityMatchesRules(parseSegmentRules([{ attribute_name: 'age', operator: 'greaterThan', values: [42] }]), entity)).toBe(false);
    expect(entityMatchesRules(parseSegmentRules([{ attribute_name: 'age', operator: 'greaterThanEquals', values: ['42'] }]), entity)).toBe(true);
    expect(entityMatchesRules(parseSegmentRules([{ attribute_name: 'age', operator: 'lessThan', values: [50] }]), entity)).toBe(true);
    expect(entityMatchesRules(parseSegmentRules([{ attribute_name: 'age', operator: 'lesserThanEquals', values: [41] }]), entity)).toBe(false);
  });

  it('needs every rule (AND) and any value of a rule (OR)', () => {
    const rules = parseSegmentRules([
      { attribute_name: 'email', operator: 'endsWith', values: ['@example.com', '@example.org'] },
      { attribute_name: 'country', operator: 'in', values: ['DE'] },
    ]);
    expect(entityMatchesRules(rules, { email: 'x@example.org', country: 'DE' })).toBe(true);
    expect(entityMatchesRules(rules, { email: 'x@example.org', country: 'FR' })).toBe(false);
  });

  it('never matches an entity without the attribute, or with an object or a non-number for numeric operators', () => {
    const rules = parseSegmentRules([{ attribute_name: 'age', operator: 'lessThan', values: [10] }]);
    expect(entityMatchesRules(rules, {})).toBe(false);
    expect(entityMatchesRules(rules, { age: 'young' })).toBe(false);
    expect(entityMatchesRules(rules, { age: { value: 1 } })).toBe(false);
    expect(entityMatchesRules(rules, { age: '' })).toBe(false);
    // An attribute inherited from Object.prototype is not the entity's.
    expect(entityMatchesRules(parseSegmentRules([{ attribute_name: 'toString', operator: 'contains', values: ['function'] }]), {})).toBe(false);
  });

  it('refuses malformed rules with a 400 naming the field', () => {
    expect(refusal([]).target).toEqual({ type: 'field', name: 'rules' });
    expect(refusal('email endsWith x').code).toBe('INVALID_SEGMENT_RULE_ERR');
    const unknownOperator = refusal([{ attribute_name: 'email', operator: 'matches', values: ['x'] }]);
    expect(unknownOperator.status).toBe(400);
    expect(unknownOperator.target).toEqual({ type: 'field', name: 'rules.0.operator' });
    expect(unknownOperator.message).toContain('unknown operator "matches"');
    const unknownAttribute = refusal([{ attribute_name: 'e mail', operator: 'is', values: ['x'] }]);
    expect(unknownAttribute.message).toContain('unknown attribute "e mail"');
    expect(refusal([{ attribute_name: '__proto__', operator: 'is', values: ['x'] }]).target?.name).toBe('rules.0.attribute_name');
    expect(refusal([{ attribute_name: 'age', operator: 'greaterThan', values: ['ten'] }]).target?.name).toBe('rules.0.values');
    expect(refusal([{ attribute_name: 'age', operator: 'is', values: [] }]).target?.name).toBe('rules.0.values');
    expect(refusal([{ attribute_name: 'age', operator: 'is' }]).target?.name).toBe('rules.0.values');
  });

  it('refuses oversized definitions', () => {
    expect(refusal(Array.from({ length: 51 }, () => ({ attribute_name: 'a', operator: 'is', values: ['x'] }))).code).toBe('INVALID_SEGMENT_RULE_ERR');
    const huge = refusal([{ attribute_name: 'a', operator: 'in', values: Array.from({ length: 100 }, () => 'x'.repeat(200)) }]);
    expect(huge.code).toBe('PAYLOAD_TOO_LARGE_ERR');
    expect(huge.status).toBe(413);
  });
});
