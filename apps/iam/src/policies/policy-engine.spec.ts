import { type AuthzCheckRequest, SERVICE_ROLE_ACTIONS } from '@keyward/contracts';
import { type EnginePolicy, PolicyEngine, globMatches } from './policy-engine';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const RG1 = '1'.repeat(32);
const RG2 = '2'.repeat(32);
const KP1 = '11111111-1111-4111-8111-111111111111';
const KP2 = '22222222-2222-4222-8222-222222222222';
const APP1 = '33333333-3333-4333-8333-333333333333';
const APP2 = '44444444-4444-4444-8444-444444444444';
const ALICE = 'IBMid-alice';
const BOB = 'IBMid-bob';

const eq = (name: string, value: string) => ({ name, value, operator: 'stringEquals' as const });

function access(id: string, iamId: string, resource: EnginePolicy['resource'], roles: EnginePolicy['roles'], accountId = A): EnginePolicy {
  return { id, type: 'access', accountId, subject: [eq('iam_id', iamId)], resource, roles };
}

function authorization(id: string, subject: EnginePolicy['subject'], resource: EnginePolicy['resource'], roles: EnginePolicy['roles'], accountId = A): EnginePolicy {
  return { id, type: 'authorization', accountId, subject, resource, roles };
}

const reader = [{ kind: 'service' as const, role: 'Reader' }];

function req(subject: AuthzCheckRequest['subject'], action: string, resource: AuthzCheckRequest['resource']): AuthzCheckRequest {
  return { subject, action, resource };
}

describe(PolicyEngine.name, () => {
  const engine = new PolicyEngine();

  describe('roles → actions (Key Protect, §7)', () => {
    const policy = (role: string) => access('p', ALICE, [eq('accountId', A), eq('serviceName', 'kms')], [{ kind: 'service', role }]);
    const ask = (role: string, action: string) => engine.decide([policy(role)], req({ iam_id: ALICE, accountId: A }, action, { serviceName: 'kms', accountId: A, serviceInstance: KP1 })).decision;

    it.each(['kms.secrets.wrap', 'kms.secrets.unwrap', 'kms.secrets.rewrap', 'kms.secrets.readmetadata', 'kms.secrets.list', 'kms.secrets.listversions', 'kms.registrations.create', 'kms.secrets-event.ack'])(
      'Reader may %s',
      (action) => expect(ask('Reader', action)).toBe('allow'),
    );

    it.each(['kms.secrets.create', 'kms.secrets.rotate', 'kms.secrets.delete', 'kms.secrets.disable', 'kms.secrets.read', 'kms.policies.write', 'kms.secrets.purge'])(
      'Reader may not %s',
      (action) => expect(ask('Reader', action)).toBe('deny'),
    );

    it('ReaderPlus adds reading a standard key payload', () => {
      expect(ask('ReaderPlus', 'kms.secrets.read')).toBe('allow');
      expect(ask('ReaderPlus', 'kms.secrets.create')).toBe('deny');
    });

    it('Writer creates and rotates but does not delete', () => {
      expect(ask('Writer', 'kms.secrets.create')).toBe('allow');
      expect(ask('Writer', 'kms.secrets.rotate')).toBe('allow');
      expect(ask('Writer', 'kms.secrets.delete')).toBe('deny');
    });

    it('Manager does everything except purge; KeyPurge only purges', () => {
      expect(ask('Manager', 'kms.secrets.delete')).toBe('allow');
      expect(ask('Manager', 'kms.policies.write')).toBe('allow');
      expect(ask('Manager', 'kms.secrets.purge')).toBe('deny');
      expect(ask('KeyPurge', 'kms.secrets.purge')).toBe('allow');
      expect(ask('KeyPurge', 'kms.secrets.wrap')).toBe('deny');
    });

    it('an hs-crypto ceremony step needs Manager', () => {
      const hpcs = (role: string) => access('p', ALICE, [eq('accountId', A), eq('serviceName', 'hs-crypto')], [{ kind: 'service', role }]);
      const unseal = (role: string) => engine.decide([hpcs(role)], req({ iam_id: ALICE, accountId: A }, 'hs-crypto.domain.unseal', { serviceName: 'hs-crypto', accountId: A, serviceInstance: KP1 })).decision;
      expect(unseal('Reader')).toBe('deny');
      expect(unseal('Writer')).toBe('deny');
      expect(unseal('Manager')).toBe('allow');
    });

    it('a role of one service never allows another service’s actions', () => {
      expect(ask('Manager', 'hs-crypto.secrets.wrap')).toBe('deny');
      expect(ask('Manager', 'apprapp.features.read')).toBe('deny');
    });

    it('every consumer service has Reader ⊂ Writer ⊂ Manager', () => {
      for (const service of ['apprapp', 'schematics', 'hyperp-dbaas-postgresql'] as const) {
        const roles = SERVICE_ROLE_ACTIONS[service];
        expect(roles['Reader']?.length).toBeGreaterThan(0);
        for (const action of roles['Reader'] ?? []) expect(roles['Writer']).toContain(action);
        for (const action of roles['Writer'] ?? []) expect(roles['Manager']).toContain(action);
      }
    });
  });

  describe('matching', () => {
    it('a key-ring policy covers only keys of that ring', () => {
      const policy = access('ring', ALICE, [eq('accountId', A), eq('serviceName', 'kms'), eq('serviceInstance', KP1), eq('keyRing', 'payments')], reader);
      const wrap = (keyRing?: string) =>
        engine.decide([policy], req({ iam_id: ALICE, accountId: A }, 'kms.secrets.wrap', { serviceName: 'kms', accountId: A, serviceInstance: KP1, ...(keyRing ? { keyRing } : {}) })).decision;
      expect(wrap('payments')).toBe('allow');
      expect(wrap('default')).toBe('deny');
      expect(wrap()).toBe('deny');
    });

    it('a key policy covers that key only', () => {
      const policy = access('key', ALICE, [eq('accountId', A), eq('serviceName', 'kms'), eq('resourceType', 'key'), eq('resource', 'k1')], reader);
      const wrap = (resource: string) =>
        engine.decide([policy], req({ iam_id: ALICE, accountId: A }, 'kms.secrets.wrap', { serviceName: 'kms', accountId: A, serviceInstance: KP1, resourceType: 'key', resource })).decision;
      expect(wrap('k1')).toBe('allow');
      expect(wrap('k2')).toBe('deny');
    });

    it('stringMatch globs, and nothing else is a wildcard', () => {
      expect(globMatches('pay*', 'payments')).toBe(true);
      expect(globMatches('pay?', 'pays')).toBe(true);
      expect(globMatches('pay?', 'payments')).toBe(false);
      expect(globMatches('a.b', 'axb')).toBe(false);
      const policy = access('glob', ALICE, [eq('accountId', A), eq('serviceName', 'kms'), { name: 'keyRing', value: 'team-*', operator: 'stringMatch' }], reader);
      const wrap = (keyRing: string) => engine.decide([policy], req({ iam_id: ALICE, accountId: A }, 'kms.secrets.wrap', { serviceName: 'kms', accountId: A, keyRing })).decision;
      expect(wrap('team-blue')).toBe('allow');
      expect(wrap('other')).toBe('deny');
    });

    it('an unknown attribute in a stored policy never matches (deny)', () => {
      const policy = access('odd', ALICE, [eq('accountId', A), eq('colour', 'blue')], reader);
      expect(engine.decide([policy], req({ iam_id: ALICE, accountId: A }, 'kms.secrets.wrap', { serviceName: 'kms', accountId: A })).decision).toBe('deny');
    });

    it('an authorization policy never grants a user, and an access policy never grants a service by name', () => {
      const s2s = authorization('s2s', [eq('accountId', A), eq('serviceName', 'apprapp')], [eq('accountId', A), eq('serviceName', 'kms')], reader);
      expect(engine.decide([s2s], req({ iam_id: ALICE, accountId: A }, 'kms.secrets.wrap', { serviceName: 'kms', accountId: A })).decision).toBe('deny');
      const user = access('user', ALICE, [eq('accountId', A), eq('serviceName', 'kms')], reader);
      expect(engine.decide([user], req({ serviceName: 'apprapp', accountId: A }, 'kms.secrets.wrap', { serviceName: 'kms', accountId: A })).decision).toBe('deny');
    });

    it('returns the id of the policy that allowed', () => {
      const policy = access('the-one', ALICE, [eq('accountId', A)], [{ kind: 'platform', role: 'Viewer' }]);
      expect(engine.decide([policy], req({ iam_id: ALICE, accountId: A }, 'resource-controller.instance.read', { serviceName: 'kms', accountId: A }))).toEqual({ decision: 'allow', policyId: 'the-one' });
    });
  });

  /**
   * Deny by default: subjects × actions × resources, including other accounts and resource groups.
   * Exactly the cases the granted policies name are allowed; every other combination is denied.
   */
  describe('deny-by-default matrix', () => {
    const policies: EnginePolicy[] = [
      // apprapp instance APP1 (in account A, group RG1) → Reader on kms instance KP1.
      authorization('p-instance', [eq('accountId', A), eq('serviceName', 'apprapp'), eq('serviceInstance', APP1)], [eq('accountId', A), eq('serviceName', 'kms'), eq('serviceInstance', KP1)], reader),
      // apprapp instances of account B (cross-account, group RG2) → Reader on all kms instances of A.
      authorization('p-cross', [eq('accountId', B), eq('serviceName', 'apprapp'), eq('resourceGroupId', RG2)], [eq('accountId', A), eq('serviceName', 'kms')], reader),
      // Alice: Writer on kms instances in resource group RG1 of A.
      access('p-alice', ALICE, [eq('accountId', A), eq('serviceName', 'kms'), eq('resourceGroupId', RG1)], [{ kind: 'service', role: 'Writer' }]),
    ];

    const subjects: Record<string, AuthzCheckRequest['subject']> = {
      alice: { iam_id: ALICE, accountId: A },
      bob: { iam_id: BOB, accountId: A },
      'apprapp APP1 (A/RG1)': { serviceName: 'apprapp', serviceInstance: APP1, accountId: A, resourceGroupId: RG1 },
      'apprapp APP2 (A/RG1)': { serviceName: 'apprapp', serviceInstance: APP2, accountId: A, resourceGroupId: RG1 },
      'apprapp in B/RG2': { serviceName: 'apprapp', serviceInstance: APP2, accountId: B, resourceGroupId: RG2 },
      'apprapp in B/RG1': { serviceName: 'apprapp', serviceInstance: APP2, accountId: B, resourceGroupId: RG1 },
      'schematics in A': { serviceName: 'schematics', accountId: A },
    };
    const actions = ['kms.secrets.wrap', 'kms.secrets.create', 'kms.secrets.delete', 'kms.secrets.purge', 'hs-crypto.secrets.wrap'];
    const resources: Record<string, AuthzCheckRequest['resource']> = {
      'kms KP1 (A/RG1)': { serviceName: 'kms', accountId: A, serviceInstance: KP1, resourceGroupId: RG1 },
      'kms KP2 (A/RG2)': { serviceName: 'kms', accountId: A, serviceInstance: KP2, resourceGroupId: RG2 },
      'kms KP1 claimed in B': { serviceName: 'kms', accountId: B, serviceInstance: KP1, resourceGroupId: RG1 },
      'hs-crypto in A/RG1': { serviceName: 'hs-crypto', accountId: A, serviceInstance: KP1, resourceGroupId: RG1 },
    };

    const expectedAllows = new Set([
      'apprapp APP1 (A/RG1) | kms.secrets.wrap | kms KP1 (A/RG1)',
      'apprapp in B/RG2 | kms.secrets.wrap | kms KP1 (A/RG1)',
      'apprapp in B/RG2 | kms.secrets.wrap | kms KP2 (A/RG2)',
      'alice | kms.secrets.wrap | kms KP1 (A/RG1)',
      'alice | kms.secrets.create | kms KP1 (A/RG1)',
    ]);

    const cases = Object.keys(subjects).flatMap((s) => actions.flatMap((a) => Object.keys(resources).map((r) => `${s} | ${a} | ${r}`)));

    it(`covers ${cases.length} combinations`, () => {
      expect(cases.length).toBe(7 * 5 * 4);
    });

    it.each(cases)('%s', (label) => {
      const [s, a, r] = label.split(' | ') as [string, string, string];
      const decision = engine.decide(policies, req(subjects[s] as AuthzCheckRequest['subject'], a, resources[r] as AuthzCheckRequest['resource'])).decision;
      expect(decision).toBe(expectedAllows.has(label) ? 'allow' : 'deny');
    });

    it('with no policies at all, everything is denied', () => {
      for (const label of cases) {
        const [s, a, r] = label.split(' | ') as [string, string, string];
        expect(engine.decide([], req(subjects[s] as AuthzCheckRequest['subject'], a, resources[r] as AuthzCheckRequest['resource'])).decision).toBe('deny');
      }
    });
  });
});
