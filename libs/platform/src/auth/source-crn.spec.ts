import { DomainError, type ServiceInstance } from '@keyward/contracts';
import type { Principal } from './principal';
import { resolveAuthzSubject, resolveSource } from './source-crn';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const RG = '1'.repeat(32);
const GUID = '11111111-1111-4111-8111-111111111111';

const cluster: ServiceInstance = {
  guid: GUID,
  crn: `crn:v1:keyward:public:hyperp-dbaas-postgresql:eu-de:a/${A}:${GUID}::`,
  name: 'pg',
  service: 'hyperp-dbaas-postgresql',
  plan: 'standard',
  target: 'eu-de',
  resource_group_id: RG,
  account_id: A,
  parameters: {},
  state: 'active',
  created_at: '2026-01-01T00:00:00.000Z',
};

const service = (serviceName: string): Principal => ({ iamId: `iam-ServiceId-${serviceName}`, sub: 'x', subType: 'ServiceId', accountId: B, serviceName });
const user: Principal = { iamId: 'IBMid-u', sub: 'u', subType: 'user', accountId: A };
const lookup = async (guid: string) => (guid === GUID ? cluster : undefined);

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe(resolveAuthzSubject.name, () => {
  it('without a source CRN, the subject is the caller', async () => {
    await expect(resolveAuthzSubject(user, undefined, lookup)).resolves.toEqual({ iam_id: 'IBMid-u', accountId: A });
  });

  it('a service acting for its own instance gets the instance’s account and resource group', async () => {
    await expect(resolveAuthzSubject(service('hyperp-dbaas-postgresql'), cluster.crn, lookup)).resolves.toEqual({
      iam_id: 'iam-ServiceId-hyperp-dbaas-postgresql',
      serviceName: 'hyperp-dbaas-postgresql',
      serviceInstance: GUID,
      accountId: A,
      resourceGroupId: RG,
    });
  });

  it('a declared dependent may act for its parent’s CRNs (bluemix accepted), under its own name', async () => {
    const subject = await resolveAuthzSubject(service('hyperp-dbaas-backup'), cluster.crn.replace(':keyward:', ':bluemix:'), lookup);
    expect(subject).toMatchObject({ serviceName: 'hyperp-dbaas-backup', serviceInstance: GUID, accountId: A });
  });

  it('takes a resource CRN without an instance as asserted (Schematics workspaces)', async () => {
    const crn = `crn:v1:keyward:public:schematics:us-south:a/${A}::workspace:ws-1`;
    await expect(resolveAuthzSubject(service('schematics'), crn, lookup)).resolves.toEqual({ iam_id: 'iam-ServiceId-schematics', serviceName: 'schematics', accountId: A });
  });

  it('refuses another service’s CRN, a user sending the header, malformed CRNs and unknown instances', async () => {
    expect((await refusal(resolveAuthzSubject(service('apprapp'), cluster.crn, lookup))).code).toBe('SOURCE_CRN_MISMATCH_ERR');
    expect((await refusal(resolveAuthzSubject(service('hyperp-dbaas-backup'), `crn:v1:keyward:public:kms:us-south:a/${A}:${GUID}::`, lookup))).code).toBe('SOURCE_CRN_MISMATCH_ERR');
    expect((await refusal(resolveAuthzSubject(user, cluster.crn, lookup))).code).toBe('SOURCE_CRN_MISMATCH_ERR');
    expect((await refusal(resolveAuthzSubject(service('apprapp'), 'crn:v1:aws:public:apprapp', lookup))).code).toBe('INVALID_HEADER_ERR');
    const unknown = `crn:v1:keyward:public:hyperp-dbaas-postgresql:eu-de:a/${A}:22222222-2222-4222-8222-222222222222::`;
    expect((await refusal(resolveAuthzSubject(service('hyperp-dbaas-postgresql'), unknown, lookup))).code).toBe('UNAUTHORIZED_ERR');
    // The right guid but another account in the CRN: not that instance.
    expect((await refusal(resolveAuthzSubject(service('hyperp-dbaas-postgresql'), cluster.crn.replace(`a/${A}`, `a/${B}`), lookup))).code).toBe('UNAUTHORIZED_ERR');
  });
});

describe(resolveSource.name, () => {
  const removed: ServiceInstance = { ...cluster, state: 'removed', removed_at: '2026-02-01T00:00:00.000Z' };
  const withTombstone = async (guid: string) => (guid === GUID ? removed : undefined);

  it('reports a removed source instance (with the subject it had) instead of a live one', async () => {
    await expect(resolveSource(service('hyperp-dbaas-postgresql'), cluster.crn, withTombstone)).resolves.toEqual({
      subject: { iam_id: 'iam-ServiceId-hyperp-dbaas-postgresql', serviceName: 'hyperp-dbaas-postgresql', serviceInstance: GUID, accountId: A, resourceGroupId: RG },
      removedSource: { crn: cluster.crn, guid: GUID, service: 'hyperp-dbaas-postgresql', accountId: A },
    });
    await expect(resolveSource(service('hyperp-dbaas-postgresql'), cluster.crn, lookup)).resolves.toEqual({ subject: expect.objectContaining({ serviceInstance: GUID }) });
  });

  it('still refuses another service, another account and a user for a removed instance', async () => {
    expect((await refusal(resolveSource(service('apprapp'), cluster.crn, withTombstone))).code).toBe('SOURCE_CRN_MISMATCH_ERR');
    expect((await refusal(resolveSource(user, cluster.crn, withTombstone))).code).toBe('SOURCE_CRN_MISMATCH_ERR');
    expect((await refusal(resolveSource(service('hyperp-dbaas-postgresql'), cluster.crn.replace(`a/${A}`, `a/${B}`), withTombstone))).code).toBe('UNAUTHORIZED_ERR');
  });

  it('resolveAuthzSubject refuses a removed source instance outright (deny by default)', async () => {
    const error = await refusal(resolveAuthzSubject(service('hyperp-dbaas-postgresql'), cluster.crn, withTombstone));
    expect(error.code).toBe('UNAUTHORIZED_ERR');
    expect(error.message).toContain('removed');
  });
});
