import type { KmsClient } from '@keyward/kms-client';
import type { HealthRegistry, NatsConnectionHolder, SubjectNamespace } from '@keyward/platform';
import type { Logger } from 'pino';
import type { IntegrationRepository, PendingUnregistrationRecord } from '../integrations/integration.repository';
import { InstanceLifecycleService } from './instance-lifecycle.service';
import type { InstancesService } from './instances.service';

const guid = '5f7e0000-0000-4000-8000-000000000666';
const pendingRecord: PendingUnregistrationRecord = {
  sourceCrn: `crn:v1:keyward:public:apprapp:us-south:a/94bf9067974ab2893672961b2fd8e413:${guid}::`,
  instanceGuid: guid,
  kmsInstanceId: '9a8b0000-0000-4000-8000-000000000777',
  keyId: '0f0e0d0c-1111-4222-8333-944445555888',
  keyCrn: 'crn:v1:keyward:public:kms:us-south:a/94bf9067974ab2893672961b2fd8e413:9a8b0000-0000-4000-8000-000000000777:key:0f0e0d0c-1111-4222-8333-944445555888',
  attempts: 0,
  lastError: null,
  createdAt: new Date(),
};

/**
 * Deleting an instance unregisters it at once when the KMS takes it (the real path is in
 * key-events.int-spec); when the KMS cannot be reached, the unregistration stays pending and a
 * later retry finishes it.
 */
describe('InstanceLifecycleService on an instance deletion', () => {
  function setUp(kms: { reachable: boolean }) {
    const pending = new Map<string, PendingUnregistrationRecord>();
    const calls: string[] = [];
    const integrations = {
      removeInstance: async () => {
        pending.set(pendingRecord.sourceCrn, { ...pendingRecord });
        return pendingRecord;
      },
      listPending: async () => [...pending.values()],
      pendingFailed: async (sourceCrn: string, error: string) => {
        const record = pending.get(sourceCrn);
        if (record) pending.set(sourceCrn, { ...record, attempts: record.attempts + 1, lastError: error });
      },
      pendingDone: async (sourceCrn: string) => {
        pending.delete(sourceCrn);
      },
    } as unknown as IntegrationRepository;
    const client = {
      unregister: async (ref: { instanceId: string; keyId: string; sourceCrn: string }) => {
        calls.push(`unregister ${ref.instanceId} ${ref.keyId} ${ref.sourceCrn}`);
        if (!kms.reachable) throw new Error('fetch failed: connect ECONNREFUSED');
        return true;
      },
    } as unknown as KmsClient;
    const logger = { info: () => undefined, warn: () => undefined } as unknown as Logger;
    const service = new InstanceLifecycleService({} as InstancesService, integrations, client, {} as NatsConnectionHolder, {} as SubjectNamespace, {} as HealthRegistry, logger);
    return { service, pending, calls };
  }

  it('unregisters at once and leaves nothing pending when the KMS takes it', async () => {
    const { service, pending, calls } = setUp({ reachable: true });
    await service.instanceDeleted(guid);
    expect(calls).toEqual([`unregister ${pendingRecord.kmsInstanceId} ${pendingRecord.keyId} ${pendingRecord.sourceCrn}`]);
    expect([...pending.values()]).toEqual([]);
  });

  it('keeps the unregistration pending while the KMS is down, and a retry finishes it', async () => {
    const kms = { reachable: false };
    const { service, pending, calls } = setUp(kms);
    await service.instanceDeleted(guid);
    expect(await service.listPending()).toEqual([expect.objectContaining({ sourceCrn: pendingRecord.sourceCrn, attempts: 1, lastError: expect.stringContaining('ECONNREFUSED') })]);
    kms.reachable = true;
    await service.retryPending();
    expect(calls).toHaveLength(2);
    expect([...pending.values()]).toEqual([]);
  });
});
