import type { Logger } from 'pino';
import type { KmsKeyEvent } from '@keyward/contracts';
import { type KmsClient, KmsClientError, type WrappedDataKey } from '@keyward/kms-client';
import type { NatsConnectionHolder, SubjectNamespace } from '@keyward/platform';
import type { IntegrationRepository, KmsIntegrationRecord } from './integration.repository';
import { KeyEventsService, RESTORE_WINDOW_MS } from './key-events.service';
import { type SegmentProtection, assertKeyUsable } from './segment-protection';

const SOURCE = 'crn:v1:keyward:public:apprapp:us-south:a/94bf9067974ab2893672961b2fd8e413:5f7e0000-0000-4000-8000-000000000666::';
const integration: KmsIntegrationRecord = {
  instanceGuid: '5f7e0000-0000-4000-8000-000000000666',
  service: 'kms',
  kmsInstanceId: '9a8b0000-0000-4000-8000-000000000777',
  keyId: '0f0e0d0c-1111-4222-8333-944445555888',
  keyCrn: 'crn:v1:keyward:public:kms:us-south:a/94bf9067974ab2893672961b2fd8e413:9a8b0000-0000-4000-8000-000000000777:key:0f0e0d0c-1111-4222-8333-944445555888',
  sourceCrn: SOURCE,
  wrappedDek: 'wrapped-v1',
  keyVersionId: 'v1',
  keyState: 'active',
  restorableUntil: null,
  createdAt: new Date('2026-11-01T00:00:00Z'),
};
const event = (eventType: KmsKeyEvent['eventType'], extra: Partial<KmsKeyEvent> = {}): KmsKeyEvent => ({
  eventId: `event-${eventType}`,
  eventType,
  instanceId: integration.kmsInstanceId,
  keyId: integration.keyId,
  keyCrn: integration.keyCrn,
  keyState: 1,
  oldKeyVersionId: 'v1',
  newKeyVersionId: 'v1',
  registrations: [{ resourceCrn: SOURCE, preventKeyDeletion: false }],
  timestamp: '2026-11-23T10:00:00.000Z',
  ...extra,
});
const registration = { resourceCrn: SOURCE, preventKeyDeletion: false };

/** How App Configuration follows one key lifecycle event for one of its registrations (DESIGN.md "Events to consumers"). */
describe('KeyEventsService.handle', () => {
  function setUp(apply: (event: KmsKeyEvent, keys: readonly WrappedDataKey[]) => Promise<WrappedDataKey[]> = async (_e, keys) => [...keys], stored: KmsIntegrationRecord[] = [integration]) {
    const updates: Array<Record<string, unknown>> = [];
    const applied: Array<{ eventType: string; keys: readonly WrappedDataKey[] }> = [];
    const repository = {
      findBySourceCrn: async (crn: string) => stored.filter((candidate) => candidate.sourceCrn === crn),
      updateKey: async (_guid: string, change: Record<string, unknown>) => {
        updates.push(change);
      },
    } as unknown as IntegrationRepository;
    const protection = {
      envelope: {
        applyKeyEvent: async (e: KmsKeyEvent, keys: readonly WrappedDataKey[]) => {
          applied.push({ eventType: e.eventType, keys });
          return apply(e, keys);
        },
      },
    } as unknown as SegmentProtection;
    const logger = { info: () => undefined, warn: () => undefined } as unknown as Logger;
    const service = new KeyEventsService(repository, protection, {} as KmsClient, {} as NatsConnectionHolder, {} as SubjectNamespace, logger);
    return { service, updates, applied };
  }

  it('stores the state of disable, enable, restore and purge, and hands the data key to the cache', async () => {
    const { service, updates, applied } = setUp();
    for (const [type, state] of [
      ['key.disabled', 'disabled'],
      ['key.enabled', 'active'],
      ['key.restored', 'active'],
      ['key.purged', 'purged'],
    ] as const) {
      await expect(service.handle(event(type), registration)).resolves.toBeUndefined();
      expect(updates.at(-1)).toEqual({ keyState: state, restorableUntil: null });
      expect(applied.at(-1)).toMatchObject({ eventType: type, keys: [{ wrappedDek: 'wrapped-v1', kmsAad: [SOURCE] }] });
    }
  });

  it('on delete, stores until when the key can be restored (event time + 30 days), which the refusal then names', async () => {
    const { service, updates } = setUp();
    await service.handle(event('key.deleted', { keyState: 5 }), registration);
    const until = new Date(Date.parse('2026-11-23T10:00:00.000Z') + RESTORE_WINDOW_MS);
    expect(updates).toEqual([{ keyState: 'deleted', restorableUntil: until }]);
    expect(() => assertKeyUsable({ ...integration, keyState: 'deleted', restorableUntil: until })).toThrow(
      expect.objectContaining({ code: 'KMS_KEY_UNAVAILABLE_ERR', status: 409, message: expect.stringContaining('restorable until 2026-12-23T10:00:00.000Z') }),
    );
  });

  it('on rotation, stores the rewrapped data key and acknowledges with the new version; a replay changes nothing', async () => {
    const rewrapped = { wrappedDek: 'wrapped-v2', keyVersionId: 'v2' };
    const { service, updates } = setUp(async (_e, keys) => keys.map((key) => ({ ...key, ...rewrapped })));
    await expect(service.handle(event('key.rotated', { newKeyVersionId: 'v2' }), registration)).resolves.toEqual({ keyVersionId: 'v2' });
    expect(updates).toEqual([rewrapped]);

    const replay = setUp(async (_e, keys) => [...keys], [{ ...integration, ...rewrapped }]);
    await expect(replay.service.handle(event('key.rotated', { newKeyVersionId: 'v2' }), registration)).resolves.toBeUndefined();
    expect(replay.updates).toEqual([]);
  });

  it('ignores (but lets acknowledge) an event for another key or a registration it no longer has', async () => {
    const { service, updates, applied } = setUp();
    await expect(service.handle(event('key.disabled', { keyId: '11111111-1111-4111-8111-111111111111' }), registration)).resolves.toBeUndefined();
    await expect(service.handle(event('key.disabled'), { resourceCrn: `${SOURCE}gone`, preventKeyDeletion: false })).resolves.toBeUndefined();
    expect([updates, applied]).toEqual([[], []]);
  });

  it('retries (throws) when the KMS is away, but not when it refuses the key: the stored state decides then', async () => {
    const away = setUp(async () => {
      throw new KmsClientError('SERVICE_UNAVAILABLE_ERR', 503, 'down');
    });
    await expect(away.service.handle(event('key.rotated', { newKeyVersionId: 'v2' }), registration)).rejects.toThrow('down');
    const refused = setUp(async () => {
      throw new KmsClientError('KEY_ACTION_INVALID_STATE_ERR', 409, 'disabled meanwhile');
    });
    await expect(refused.service.handle(event('key.enabled'), registration)).resolves.toBeUndefined();
    expect(refused.updates).toEqual([{ keyState: 'active', restorableUntil: null }]);
  });
});

describe('assertKeyUsable', () => {
  it('names the key and its state: disabled and deleted are 409, purged is 410 and unrecoverable', () => {
    expect(() => assertKeyUsable(integration)).not.toThrow();
    expect(() => assertKeyUsable({ ...integration, keyState: 'disabled' })).toThrow(
      expect.objectContaining({ status: 409, message: expect.stringMatching(new RegExp(`root key ${integration.keyId} .* is disabled \\(state 2\\)`)) }),
    );
    expect(() => assertKeyUsable({ ...integration, keyState: 'purged' })).toThrow(expect.objectContaining({ code: 'KMS_KEY_PURGED_ERR', status: 410, message: expect.stringContaining('unrecoverable') }));
  });
});
