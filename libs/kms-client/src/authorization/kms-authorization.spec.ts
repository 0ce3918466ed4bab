import { type AuthzCheckRequest, type AuthzCheckResponse, DomainError } from '@keyward/contracts';
import type { AuthzDecider } from '@keyward/platform';
import {
  CONSUMER_KMS_ACTIONS,
  KmsAuthorizationMissingError,
  assertKmsAuthorization,
  findMissingKmsAuthorization,
  kmsAuthorizationQuery,
} from './kms-authorization';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const OTHER_ACCOUNT = 'fedcba9876543210fedcba9876543210';
const APPRAPP_GUID = '5f7e2b10-1111-4222-8333-944445555666';
const KMS_GUID = '9a8b7c6d-1111-4222-8333-944445555777';
const KEY_ID = '0f0e0d0c-1111-4222-8333-944445555888';
const sourceCrn = (account = ACCOUNT) => `crn:v1:keyward:public:apprapp:us-south:a/${account}:${APPRAPP_GUID}::`;
const keyCrn = (service = 'kms') => `crn:v1:bluemix:public:${service}:us-south:a/${ACCOUNT}:${KMS_GUID}:key:${KEY_ID}`;

/** IAM's decision point as the consumer sees it (rpc.iam.authz.check.v1 behind the platform's AuthzDecider). */
function decider(allow: (request: AuthzCheckRequest) => boolean): AuthzDecider & { asked: AuthzCheckRequest[] } {
  const asked: AuthzCheckRequest[] = [];
  return {
    asked,
    check: (request) => {
      asked.push(request);
      return Promise.resolve<AuthzCheckResponse>({ decision: allow(request) ? 'allow' : 'deny' });
    },
  };
}

describe('the KMS authorization pre-flight', () => {
  it('asks IAM about every consumer action, as the source instance on the target instance', async () => {
    const iam = decider(() => true);
    const query = kmsAuthorizationQuery({ sourceCrn: sourceCrn(), keyCrn: keyCrn(), resourceGroupId: 'rg-1' });
    await expect(findMissingKmsAuthorization(iam, query)).resolves.toBeUndefined();
    expect(iam.asked.map((request) => request.action)).toEqual(CONSUMER_KMS_ACTIONS.map((action) => `kms.${action}`));
    expect(iam.asked[0]).toEqual({
      subject: { serviceName: 'apprapp', serviceInstance: APPRAPP_GUID, accountId: ACCOUNT, resourceGroupId: 'rg-1' },
      action: 'kms.secrets.wrap',
      resource: { serviceName: 'kms', accountId: ACCOUNT, serviceInstance: KMS_GUID },
    });
  });

  it('names the missing authorization (source → target instance, Reader) and the command that creates it', async () => {
    const iam = decider(() => false);
    const error = await assertKmsAuthorization(iam, kmsAuthorizationQuery({ sourceCrn: sourceCrn(), keyCrn: keyCrn() })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsAuthorizationMissingError);
    expect(error).toBeInstanceOf(DomainError);
    const missing = error as KmsAuthorizationMissingError;
    expect(missing).toMatchObject({ code: 'KMS_AUTHORIZATION_MISSING_ERR', status: 403 });
    expect(missing.command).toBe(`keyward iam authorization-policy-create apprapp kms Reader --source-service-instance-id ${APPRAPP_GUID} --target-service-instance-id ${KMS_GUID}`);
    expect(missing.message).toBe(
      `apprapp instance ${APPRAPP_GUID} is not authorized to use Key Protect instance ${KMS_GUID}: an authorization apprapp → kms with the Reader role is missing. Create it with: ${missing.command}`,
    );
    expect(missing.missing.deniedActions).toHaveLength(CONSUMER_KMS_ACTIONS.length);
  });

  it('catches a grant that covers only some of the actions', async () => {
    const iam = decider((request) => request.action !== 'kms.secrets-event.ack');
    const missing = await findMissingKmsAuthorization(iam, kmsAuthorizationQuery({ sourceCrn: sourceCrn(), keyCrn: keyCrn() }));
    expect(missing?.deniedActions).toEqual(['kms.secrets-event.ack']);
  });

  it('targets Hyper Protect Crypto Services and a source in another account as such', async () => {
    const iam = decider(() => false);
    const missing = await findMissingKmsAuthorization(iam, kmsAuthorizationQuery({ sourceCrn: sourceCrn(OTHER_ACCOUNT), keyCrn: keyCrn('hs-crypto') }));
    expect(iam.asked[0]?.action).toBe('hs-crypto.secrets.wrap');
    expect(missing?.command).toBe(
      `keyward iam authorization-policy-create apprapp hs-crypto Reader --source-service-instance-id ${APPRAPP_GUID} --target-service-instance-id ${KMS_GUID} --source-service-account ${OTHER_ACCOUNT}`,
    );
    expect(missing?.message).toContain('Hyper Protect Crypto Services instance');
  });

  it('asks for the whole service when the resource is no instance (a Schematics workspace)', async () => {
    const iam = decider(() => false);
    const workspace = `crn:v1:keyward:public:schematics:us-south:a/${ACCOUNT}::workspace:ws-1`;
    const missing = await findMissingKmsAuthorization(iam, kmsAuthorizationQuery({ sourceCrn: workspace, keyCrn: keyCrn() }));
    expect(iam.asked[0]?.subject).toEqual({ serviceName: 'schematics', accountId: ACCOUNT });
    expect(missing?.command).toBe(`keyward iam authorization-policy-create schematics kms Reader --target-service-instance-id ${KMS_GUID}`);
    expect(missing?.message).toMatch(/^the schematics service is not authorized/);
  });

  it('refuses CRNs that name no consumer resource or no root key', () => {
    expect(() => kmsAuthorizationQuery({ sourceCrn: 'not-a-crn', keyCrn: keyCrn() })).toThrow(expect.objectContaining({ code: 'INVALID_FIELD_ERR' }));
    expect(() => kmsAuthorizationQuery({ sourceCrn: sourceCrn(), keyCrn: `crn:v1:keyward:public:kms:us-south:a/${ACCOUNT}:${KMS_GUID}::` })).toThrow(
      expect.objectContaining({ code: 'INVALID_FIELD_ERR' }),
    );
  });
});
