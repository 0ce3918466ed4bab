import { CliError } from '../../cli-error';
import { aliasArgument, enabledOption, instancePolicyBody, keyDualAuthPolicyBody, keyRotationPolicyBody, monthlyInterval } from './kp-policy-requests';

const policyEnvelope = (resource: unknown) => ({ metadata: { collectionType: 'application/vnd.ibm.kms.policy+json', collectionTotal: 1 }, resources: [resource] });

describe('kp policy requests (KEY-PROTECT-API.md §3)', () => {
  it('builds key rotation and dual-auth policies in the policy envelope', () => {
    expect(keyRotationPolicyBody(true, 3)).toEqual(policyEnvelope({ type: 'application/vnd.ibm.kms.policy+json', rotation: { enabled: true, interval_month: 3 } }));
    expect(keyRotationPolicyBody(false, undefined)).toEqual(policyEnvelope({ type: 'application/vnd.ibm.kms.policy+json', rotation: { enabled: false } }));
    expect(keyDualAuthPolicyBody(true)).toEqual(policyEnvelope({ type: 'application/vnd.ibm.kms.policy+json', dualAuthDelete: { enabled: true } }));
  });

  it('builds instance policies as policy_type and policy_data', () => {
    expect(instancePolicyBody('dualAuthDelete', true)).toEqual(policyEnvelope({ policy_type: 'dualAuthDelete', policy_data: { enabled: true } }));
    expect(instancePolicyBody('allowedNetwork', true, { allowed_network: 'private-only' })).toEqual(policyEnvelope({ policy_type: 'allowedNetwork', policy_data: { enabled: true, attributes: { allowed_network: 'private-only' } } }));
    expect(instancePolicyBody('metrics', false, {})).toEqual(policyEnvelope({ policy_type: 'metrics', policy_data: { enabled: false } }));
  });

  it('checks intervals, enable/disable flags and aliases before sending', () => {
    expect(monthlyInterval('12')).toBe(12);
    for (const bad of ['0', '13', '1.5', 'x']) expect(() => monthlyInterval(bad)).toThrow(CliError);
    expect(enabledOption({ enable: true })).toBe(true);
    expect(enabledOption({ disable: true })).toBe(false);
    expect(enabledOption({}, true)).toBe(true);
    expect(() => enabledOption({})).toThrow('-e (--enable) or -d (--disable)');
    expect(() => enabledOption({ enable: true, disable: true })).toThrow('not both');
    expect(aliasArgument('my-key_1')).toBe('my-key_1');
    for (const bad of ['a', 'has space', '11111111-2222-4333-8444-555555555555', 'x'.repeat(91)]) expect(() => aliasArgument(bad)).toThrow(CliError);
  });
});
