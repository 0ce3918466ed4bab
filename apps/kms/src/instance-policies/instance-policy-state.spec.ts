import { DomainError } from '@keyward/contracts';
import { requireCreateImportAccess } from './create-import-access';
import { instancePolicyState, ipAllowed, parseAllowedIps } from './instance-policy-state';

describe('instance policy state', () => {
  it('matches the caller address against addresses and CIDR ranges, IPv4-mapped IPv6 included', () => {
    const allowed = ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32'];
    expect(ipAllowed(allowed, '10.20.30.40')).toBe(true);
    expect(ipAllowed(allowed, '::ffff:10.1.2.3')).toBe(true);
    expect(ipAllowed(allowed, '192.168.1.7')).toBe(true);
    expect(ipAllowed(allowed, '192.168.1.8')).toBe(false);
    expect(ipAllowed(allowed, '2001:db8:1::5')).toBe(true);
    expect(ipAllowed(allowed, '2001:db9::1')).toBe(false);
    expect(ipAllowed(allowed, '127.0.0.1')).toBe(false);
    expect(ipAllowed(allowed, undefined)).toBe(false);
  });

  it('names the first entry that is not an address or a CIDR range', () => {
    expect(parseAllowedIps(['10.0.0.0/8', '10.0.0.0/33'])).toEqual({ bad: '10.0.0.0/33' });
    expect(parseAllowedIps(['::1/129'])).toEqual({ bad: '::1/129' });
    expect(parseAllowedIps(['host.example'])).toEqual({ bad: 'host.example' });
    expect(parseAllowedIps(['1.2.3.4/8/8'])).toEqual({ bad: '1.2.3.4/8/8' });
    expect('list' in parseAllowedIps(['1.2.3.4', '::1', 'fe80::/10'])).toBe(true);
  });

  it('folds only enabled policies into what is in force', () => {
    const state = instancePolicyState([
      { policyType: 'dualAuthDelete', enabled: false, attributes: {} },
      { policyType: 'allowedNetwork', enabled: true, attributes: { allowed_network: 'private-only' } },
      { policyType: 'rotation', enabled: true, attributes: { interval_month: 4 } },
      { policyType: 'keyCreateImportAccess', enabled: true, attributes: { create_root_key: false } },
    ]);
    expect(state).toMatchObject({ dualAuthDelete: false, allowedNetwork: 'private-only', rotationIntervalMonth: 4 });
    expect(state.createImportAccess).toMatchObject({ create_root_key: false, create_standard_key: true, enforce_token: false });
    expect(state.allowedIp).toBeUndefined();
  });

  it('refuses creations and imports the keyCreateImportAccess policy excludes', () => {
    const policies = instancePolicyState([{ policyType: 'keyCreateImportAccess', enabled: true, attributes: { import_standard_key: false, enforce_token: true } }]);
    const attempt = (kind: 'root' | 'standard', imported: boolean, withToken = false) => () => requireCreateImportAccess({ policies }, { kind, imported, withToken });
    expect(attempt('root', false)).not.toThrow();
    expect(attempt('standard', true, true)).toThrow(DomainError);
    expect(attempt('root', true)).toThrow(/import token/);
    expect(attempt('root', true, true)).not.toThrow();
    expect(() => requireCreateImportAccess({}, { kind: 'standard', imported: true, withToken: false })).not.toThrow();
  });
});
