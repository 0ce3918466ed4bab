import pino from 'pino';
import { DomainError, SERVICE_DEFAULT_KEY_NAME, SERVICE_KEY_OWNER_PARAMETER, type ServiceInstance } from '@keyward/contracts';
import type { KeySummary, KmsClient } from '../kms-client';
import { KmsClientError } from '../kms-client-error';
import { ServiceDefaultKey } from './service-default-key';

const instance = (guid: string, owner: string, createdAt = '2026-01-01T00:00:00.000Z'): ServiceInstance => ({
  guid,
  crn: `crn:v1:keyward:public:kms:us-south:a/${'a'.repeat(32)}:${guid}::`,
  name: 'x',
  service: 'kms',
  plan: 'standard',
  target: 'us-south',
  resource_group_id: 'b'.repeat(32),
  account_id: 'a'.repeat(32),
  parameters: { [SERVICE_KEY_OWNER_PARAMETER]: owner },
  state: 'active',
  created_at: createdAt,
});

/** A KMS with one shared key list, in creation order (as the KMS lists them). */
function fakeKms() {
  const keys: (KeySummary & { instance: string })[] = [];
  let next = 0;
  const calls: string[] = [];
  const client = {
    listKeys: async (target: { instanceId: string }) => {
      calls.push('list');
      return keys.filter((k) => k.instance === target.instanceId && k.state === 1);
    },
    createRootKey: async (target: { instanceId: string }, request: { name: string }) => {
      calls.push('create');
      const key = { id: `k${next++}`, name: request.name, crn: `crn:key:${next}`, extractable: false, state: 1, instance: target.instanceId };
      keys.push(key);
      return key;
    },
    deleteKey: async (_target: unknown, id: string) => {
      calls.push(`delete ${id}`);
      const key = keys.find((k) => k.id === id);
      if (key) key.state = 5;
    },
  };
  return { client: client as unknown as KmsClient, keys, calls };
}

const logger = pino({ level: 'silent' });

describe('ServiceDefaultKey', () => {
  it('uses the configured key as is and looks nothing up', async () => {
    const kms = fakeKms();
    const key = new ServiceDefaultKey({ service: 'schematics', configuredKeyCrn: 'crn:configured', client: kms.client, listInstances: async () => [], logger, hint: 'h' });
    await key.start();
    expect(key.keyCrn()).toBe('crn:configured');
    expect(key.health()).toEqual({ status: 'ok', detail: 'configured' });
    expect(kms.calls).toEqual([]);
  });

  it("creates the key in the service's own instance once, and reuses it after", async () => {
    const kms = fakeKms();
    const instances = async () => [instance('other', 'hyperp-dbaas-postgresql'), instance('mine', 'schematics')];
    const first = new ServiceDefaultKey({ service: 'schematics', client: kms.client, listInstances: instances, logger, hint: 'h' });
    await first.start();
    expect(kms.keys).toMatchObject([{ instance: 'mine', name: SERVICE_DEFAULT_KEY_NAME }]);
    const second = new ServiceDefaultKey({ service: 'schematics', client: kms.client, listInstances: instances, logger, hint: 'h' });
    await second.start();
    expect(second.keyCrn()).toBe(first.keyCrn());
    expect(kms.keys).toHaveLength(1);
  });

  it('two replicas creating at once settle on the oldest key and the other one is deleted', async () => {
    const kms = fakeKms();
    const instances = async () => [instance('mine', 'schematics')];
    const [a, b] = [0, 1].map(() => new ServiceDefaultKey({ service: 'schematics', client: kms.client, listInstances: instances, logger, hint: 'h' })) as [ServiceDefaultKey, ServiceDefaultKey];
    await Promise.all([a.start(), b.start()]);
    expect(kms.calls.filter((c) => c === 'create')).toHaveLength(2);
    expect(a.keyCrn()).toBe(b.keyCrn());
    expect(kms.keys.filter((k) => k.state === 1)).toHaveLength(1);
    expect(kms.calls).toContain('delete k1');
  });

  it('answers 503 and reports down while the KMS is away, then settles in the background', async () => {
    const kms = fakeKms();
    let away = true;
    const listKeys = kms.client.listKeys.bind(kms.client);
    (kms.client as unknown as { listKeys: unknown }).listKeys = async (...args: Parameters<KmsClient['listKeys']>) => {
      if (away) throw new KmsClientError('SERVICE_UNAVAILABLE_ERR', 503, 'the KMS could not be reached');
      return listKeys(...args);
    };
    const key = new ServiceDefaultKey({ service: 'schematics', client: kms.client, listInstances: async () => [instance('mine', 'schematics')], logger, hint: 'enable KMS settings', retry: { firstMs: 10, maxMs: 20 } });
    await key.start();
    expect(key.health()).toEqual({ status: 'down', detail: 'the KMS answered 503 SERVICE_UNAVAILABLE_ERR' });
    const refusal = (() => {
      try {
        key.keyCrn();
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: 'SERVICE_UNAVAILABLE_ERR', status: 503, message: expect.stringContaining('enable KMS settings') });
    away = false;
    const deadline = Date.now() + 2000;
    while (key.health().status !== 'ok' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(key.keyCrn()).toMatch(/^crn:key:/);
    key.stop();
  });

  it('never takes an instance without the owner parameter, or of another service', async () => {
    const kms = fakeKms();
    const unmarked = { ...instance('plain', 'schematics'), parameters: {} };
    const key = new ServiceDefaultKey({ service: 'schematics', client: kms.client, listInstances: async () => [unmarked, instance('dbaas', 'hyperp-dbaas-postgresql')], logger, hint: 'h', retry: { firstMs: 1000, maxMs: 1000 } });
    await key.start();
    key.stop();
    expect(key.health()).toMatchObject({ status: 'down', detail: expect.stringContaining('no kms instance for schematics') });
    expect(kms.calls).toEqual([]);
  });
});
