import { DomainError } from '@keyward/contracts';
import type { ClusterRecord } from '../clusters/clusters.repository';
import { RESTORE_WINDOW_MS, assertClusterKeyUsable } from './key-status-guard';

function cluster(keyStatus: string, keyStatusAt: Date | null = null): ClusterRecord {
  return {
    name: 'c1',
    keyCrn: 'crn:v1:keyward:public:kms:us-south:a/0123456789abcdef0123456789abcdef:11111111-1111-1111-1111-111111111111:key:22222222-2222-2222-2222-222222222222',
    nodes: [{ id: 'n0', clusterId: 'c', name: 'node-0', status: 'running', keyStatus, keyStatusAt }],
  } as unknown as ClusterRecord;
}

function refusal(record: ClusterRecord): DomainError | undefined {
  try {
    assertClusterKeyUsable(record);
    return undefined;
  } catch (error) {
    return error as DomainError;
  }
}

describe('assertClusterKeyUsable', () => {
  it('lets an active key through', () => {
    expect(refusal(cluster('active'))).toBeUndefined();
  });

  it('names a disabled key (409)', () => {
    expect(refusal(cluster('disabled'))).toMatchObject({ code: 'KMS_KEY_UNAVAILABLE_ERR', status: 409, message: expect.stringContaining('is disabled') });
  });

  it('says until when a deleted key is restorable (30 days after the event)', () => {
    const at = new Date('2026-01-01T00:00:00.000Z');
    const error = refusal(cluster('deleted', at));
    expect(error?.status).toBe(409);
    expect(error?.message).toContain(`restorable until ${new Date(at.getTime() + RESTORE_WINDOW_MS).toISOString()}`);
    expect(error?.message).toContain('2026-01-31T00:00:00.000Z');
  });

  it('says a purged key made the data unrecoverable (410)', () => {
    expect(refusal(cluster('destroyed'))).toMatchObject({ code: 'KMS_KEY_PURGED_ERR', status: 410, message: expect.stringContaining('unrecoverable') });
  });
});
