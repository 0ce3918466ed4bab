import type { KmsClient } from '@keyward/kms-client';
import type { AuthzDecider } from '@keyward/platform';
import type { AppConfigInstance } from '../instances/instance.repository';
import type { IntegrationRepository } from './integration.repository';
import { IntegrationsService } from './integrations.service';
import type { SegmentProtection } from './segment-protection';

const instance: AppConfigInstance = {
  guid: '5f7e0000-0000-4000-8000-000000000666',
  crn: 'crn:v1:keyward:public:apprapp:us-south:a/94bf9067974ab2893672961b2fd8e413:5f7e0000-0000-4000-8000-000000000666::',
  plan: 'enterprise',
  accountId: '94bf9067974ab2893672961b2fd8e413',
  resourceGroupId: null,
};
const keyCrn = 'crn:v1:keyward:public:kms:us-south:a/94bf9067974ab2893672961b2fd8e413:9a8b0000-0000-4000-8000-000000000777:key:0f0e0d0c-1111-4222-8333-944445555888';

/** The connect's compensation: whatever fails after the registration, the registration does not stay behind. */
describe('IntegrationsService.connect when the re-encryption transaction fails', () => {
  function setUp(unregister: () => Promise<boolean>) {
    const calls: string[] = [];
    const repository = {
      find: async () => undefined,
      connect: async () => {
        calls.push('connect');
        throw new Error('the database went away');
      },
      queueUnregistration: async (pending: { sourceCrn: string }) => {
        calls.push(`queued ${pending.sourceCrn}`);
      },
    } as unknown as IntegrationRepository;
    const protection = {
      envelope: { createDataKey: async () => ({ wrappedDek: 'wrapped', keyVersionId: 'v1', ref: {} }) },
      seal: async () => 'sealed',
    } as unknown as SegmentProtection;
    const client = {
      register: async () => {
        calls.push('register');
        return {};
      },
      unregister: async (ref: { sourceCrn: string; keyId: string }) => {
        calls.push(`unregister ${ref.keyId} ${ref.sourceCrn}`);
        return unregister();
      },
    } as unknown as KmsClient;
    const decider: AuthzDecider = { check: async () => ({ decision: 'allow' }) };
    return { service: new IntegrationsService(repository, protection, client, decider), calls };
  }

  it('removes the registration again and rethrows', async () => {
    const { service, calls } = setUp(async () => true);
    await expect(service.connect(instance, { service: 'kms', root_key_crn: keyCrn })).rejects.toThrow('the database went away');
    expect(calls).toEqual(['register', 'connect', `unregister 0f0e0d0c-1111-4222-8333-944445555888 ${instance.crn}`]);
  });

  it('queues the unregistration when the KMS cannot take it now', async () => {
    const { service, calls } = setUp(async () => {
      throw new Error('KMS away');
    });
    await expect(service.connect(instance, { service: 'kms', root_key_crn: keyCrn })).rejects.toThrow('the database went away');
    expect(calls.at(-1)).toBe(`queued ${instance.crn}`);
  });

  it('never registers for a plan other than Enterprise', async () => {
    const { service, calls } = setUp(async () => true);
    await expect(service.connect({ ...instance, plan: 'lite' }, { service: 'kms', root_key_crn: keyCrn })).rejects.toMatchObject({ code: 'PLAN_NOT_ENTITLED_ERR', status: 403 });
    expect(calls).toEqual([]);
  });
});
