import { DomainError } from '@keyward/contracts';
import { type RawPolicy, delegatedSpecs, validatePolicy } from './policy-spec';
import { parseV1Body, parseV2Body } from './policy-wire';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const KP = '11111111-1111-4111-8111-111111111111';
const READER = 'crn:v1:bluemix:public:iam::::serviceRole:Reader';

function s2s(overrides: Partial<RawPolicy> = {}): RawPolicy {
  return {
    type: 'authorization',
    subject: [
      { name: 'accountId', value: A },
      { name: 'serviceName', value: 'hyperp-dbaas-postgresql' },
    ],
    resource: [
      { name: 'accountId', value: A, operator: 'stringEquals' },
      { name: 'serviceName', value: 'kms', operator: 'stringEquals' },
      { name: 'serviceInstance', value: KP },
    ],
    roleIds: [READER],
    delegate: false,
    ...overrides,
  };
}

function rejection(raw: RawPolicy): DomainError {
  try {
    validatePolicy(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).status).toBe(400);
    return error as DomainError;
  }
  throw new Error('expected the policy to be refused');
}

describe(validatePolicy.name, () => {
  it('accepts the reference authorization, with bluemix or keyward role CRNs', () => {
    expect(validatePolicy(s2s()).roles).toEqual([{ kind: 'service', role: 'Reader' }]);
    expect(validatePolicy(s2s({ roleIds: ['crn:v1:keyward:public:iam::::serviceRole:Reader'] })).roles).toEqual([{ kind: 'service', role: 'Reader' }]);
  });

  it('refuses unknown attributes, roles and operators, naming them', () => {
    expect(rejection(s2s({ subject: [{ name: 'accountId', value: A }, { name: 'serviceName', value: 'apprapp' }, { name: 'colour', value: 'x' }] })).message).toMatch(/colour/);
    expect(rejection(s2s({ roleIds: ['crn:v1:bluemix:public:iam::::serviceRole:Overlord'] })).message).toMatch(/Overlord/);
    expect(rejection(s2s({ roleIds: ['Reader'] })).message).toMatch(/role CRN/);
    expect(rejection(s2s({ roleIds: ['crn:v1:bluemix:public:iam::::role:Administrator'] })).message).toMatch(/service roles/);
    expect(rejection(s2s({ resource: [{ name: 'accountId', value: A }, { name: 'serviceName', value: 'kms', operator: 'stringExists' }] })).message).toMatch(/stringExists/);
    expect(rejection(s2s({ roleIds: [] })).message).toMatch(/role/);
  });

  it('refuses a cross-account grant without a source account', () => {
    expect(rejection(s2s({ subject: [{ name: 'serviceName', value: 'apprapp' }] })).message).toMatch(/source accountId/);
  });

  it('refuses malformed values', () => {
    expect(rejection(s2s({ resource: [{ name: 'accountId', value: 'not-an-account' }, { name: 'serviceName', value: 'kms' }] })).message).toMatch(/accountId/);
    expect(rejection(s2s({ resource: [{ name: 'accountId', value: A }, { name: 'serviceName', value: 'kms' }, { name: 'serviceInstance', value: 'x' }] })).message).toMatch(/serviceInstance/);
    expect(rejection(s2s({ subject: [{ name: 'accountId', value: B }, { name: 'serviceName', value: 'cloud-object-storage' }] })).message).toMatch(/serviceName/);
    expect(rejection(s2s({ type: 'something' })).message).toMatch(/type/);
  });

  it('needs a target service for an authorization and exactly one iam_id for an access policy', () => {
    expect(rejection(s2s({ resource: [{ name: 'accountId', value: A }] })).message).toMatch(/target serviceName/);
    expect(rejection({ ...s2s(), type: 'access', subject: [{ name: 'serviceName', value: 'kms' }] }).message).toMatch(/iam_id/);
  });

  it('delegation adds the same grant for each dependent service, and only for authorizations', () => {
    const spec = validatePolicy(s2s({ delegate: true }));
    const children = delegatedSpecs(spec);
    expect(children).toHaveLength(1);
    expect(children[0]?.subject).toEqual([
      { name: 'accountId', value: A, operator: 'stringEquals' },
      { name: 'serviceName', value: 'hyperp-dbaas-backup', operator: 'stringEquals' },
    ]);
    expect(children[0]?.resource).toEqual(spec.resource);
    expect(children[0]?.roles).toEqual(spec.roles);
    expect(delegatedSpecs(validatePolicy(s2s({ delegate: false })))).toEqual([]);
    expect(delegatedSpecs(validatePolicy(s2s({ delegate: true, subject: [{ name: 'accountId', value: A }, { name: 'serviceName', value: 'apprapp' }] })))).toEqual([]);
    expect(rejection({ ...s2s({ delegate: true }), type: 'access', subject: [{ name: 'iam_id', value: 'IBMid-x' }] }).message).toMatch(/delegated/);
  });
});

describe('policy wire shapes', () => {
  it('reads v1 subjects/resources and v2 subject/resource/control into the same policy', () => {
    const v1 = parseV1Body({
      type: 'authorization',
      subjects: [{ attributes: [{ name: 'accountId', value: A }, { name: 'serviceName', value: 'apprapp' }] }],
      roles: [{ role_id: READER }],
      resources: [{ attributes: [{ name: 'accountId', value: A, operator: 'stringEquals' }, { name: 'serviceName', value: 'kms', operator: 'stringEquals' }] }],
    });
    const v2 = parseV2Body({
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: A }, { key: 'serviceName', operator: 'stringEquals', value: 'apprapp' }] },
      resource: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: A }, { key: 'serviceName', operator: 'stringEquals', value: 'kms' }] },
      control: { grant: { roles: [{ role_id: READER }] } },
    });
    expect(validatePolicy(v1)).toEqual(validatePolicy(v2));
  });

  it('refuses unknown fields, several subjects and v2 rules with a 400 naming the field', () => {
    expect(() => parseV1Body({ type: 'authorization', subjects: [], roles: [], resources: [] })).toThrow(/subjects/);
    expect(() => parseV1Body({ type: 'authorization', subjects: [{ attributes: [] }], roles: [], resources: [{ attributes: [] }], extra: 1 })).toThrow(DomainError);
    expect(() => parseV2Body({ type: 'access', control: { grant: { roles: [] } }, subject: { attributes: [] }, resource: { attributes: [] }, rule: { operator: 'and' } })).toThrow(/not supported/);
    expect(() => parseV2Body(undefined)).toThrow(DomainError);
  });
});
