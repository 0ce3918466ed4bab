import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DomainError } from '@keyward/contracts';
import type { RunningService } from '@keyward/platform';
import { type SuiteContext, createSuiteContext, expectEventually } from '@keyward/testing';
import { startHsm } from '../start-hsm';
import { HsmTestClient, makeCustodians, reencryptPart } from '../testing/hsm-test-client';
import { writePlatformPartsFile } from '../testing/platform-parts';

describe('master-key rotation under concurrent wraps (software backend)', () => {
  let suite: SuiteContext;
  let env: Record<string, string | undefined>;
  let hsm: RunningService;
  let client: HsmTestClient;
  const domainId = randomUUID();

  beforeAll(async () => {
    suite = await createSuiteContext(['hsm']);
    const platform = await writePlatformPartsFile();
    // Small pages so the job takes many steps while requests run.
    env = suite.envFor('hsm', { KEYWARD_HSM_STORAGE_KEY: platform.storageKey, KEYWARD_HSM_PLATFORM_PARTS_FILE: platform.path, KEYWARD_HSM_ROTATION_PAGE_SIZE: '5' });
    hsm = await startHsm(env);
    client = await HsmTestClient.create(suite.envFor('kms'));
  });

  afterAll(async () => {
    await client?.close();
    await hsm?.close();
    await suite?.dispose();
  });

  it('re-encrypts every key object under the new master key with zero failed requests', async () => {
    await client.domains('create', { domainId });
    const custodians = makeCustodians(3);
    const publicKeys = custodians.map((custodian) => ({ name: custodian.name, publicKey: custodian.keyPair.publicKeyPem }));
    const first = await client.domains('ceremony-init', { domainId, threshold: 2, custodians: publicKeys });
    const oldParts = first.parts.map((part, i) => reencryptPart(custodians[i]!, part.encryptedPart, first.ceremonyPublicKey).forHsm);
    for (const part of oldParts.slice(0, 2)) await client.broadcast('unseal', { domainId, encryptedPart: part });

    const keys: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const key = await client.domainOp(domainId, 'key.generate', { kind: 'root' });
      if (i % 2 === 0) await client.domainOp(domainId, 'key.rotate', { keyId: key.keyId });
      keys.push(key.keyId);
    }
    const before = await Promise.all(keys.map((keyId) => client.domainOp(domainId, 'wrap', { keyId }).then((wrapped) => ({ keyId, ...wrapped }))));

    // Traffic: 4 loops of wrap + unwrap + key creation until the rotation is done.
    let done = false;
    const failures: string[] = [];
    let requests = 0;
    const loop = async (n: number) => {
      for (let i = 0; !done; i += 1) {
        const keyId = keys[(n * 7 + i) % keys.length]!;
        try {
          const wrapped = await client.domainOp(domainId, 'wrap', { keyId });
          const unwrapped = await client.domainOp(domainId, 'unwrap', { keyId, ciphertext: wrapped.ciphertext });
          if (unwrapped.plaintext !== wrapped.plaintext) failures.push('round trip mismatch');
          if (i % 10 === 0) keys.push((await client.domainOp(domainId, 'key.generate', { kind: 'root' })).keyId);
          requests += 3;
        } catch (error) {
          failures.push(error instanceof DomainError ? error.code : String(error));
        }
      }
    };
    const traffic = Promise.all([0, 1, 2, 3].map(loop));

    const second = await client.domains('ceremony-init', { domainId, threshold: 2, custodians: publicKeys, rotation: true });
    expect(second.generation).toBe(2);
    const newParts = second.parts.map((part, i) => reencryptPart(custodians[i]!, part.encryptedPart, second.ceremonyPublicKey).forHsm);
    const progress = await client.broadcast('rotate-master-key', { domainId, encryptedPart: newParts[1] });
    expect(progress).toEqual([expect.objectContaining({ rotation: { generation: 2, submitted: 1, ready: false } })]);
    // A part of the old ceremony is not a part of the new one.
    expect(((await client.broadcast('rotate-master-key', { domainId, encryptedPart: oldParts[0] }))[0] as DomainError).code).toBe('CEREMONY_PART_INVALID_ERR');
    expect(await client.broadcast('rotate-master-key', { domainId, encryptedPart: newParts[2] })).toEqual([
      expect.objectContaining({ rotation: { generation: 2, submitted: 0, ready: true } }),
    ]);
    await expectEventually(async () => expect(await client.domains('status', { domainId })).toMatchObject({ generation: 2, state: 'active' }), { timeoutMs: 60_000 });
    done = true;
    await traffic;

    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(20);
    const generations = await rows(`SELECT DISTINCT v.generation FROM key_versions v JOIN key_objects k ON k.id = v.key_id WHERE k.domain_id = '${domainId}'`);
    expect(generations).toEqual([{ generation: 2 }]);

    // After a restart only the new ceremony's parts unseal, and every old ciphertext still opens.
    await hsm.close();
    hsm = await startHsm(env);
    expect(((await client.broadcast('unseal', { domainId, encryptedPart: oldParts[0] }))[0] as DomainError).code).toBe('CEREMONY_PART_INVALID_ERR');
    await client.broadcast('unseal', { domainId, encryptedPart: newParts[0] });
    expect(await client.broadcast('unseal', { domainId, encryptedPart: newParts[2] })).toEqual([expect.objectContaining({ state: 'active', generation: 2 })]);
    for (const wrapped of before) {
      expect((await client.domainOp(domainId, 'unwrap', { keyId: wrapped.keyId, ciphertext: wrapped.ciphertext })).plaintext).toBe(wrapped.plaintext);
    }
  }, 180_000);

  async function rows(sql: string): Promise<Record<string, unknown>[]> {
    const pg = new Client({ connectionString: suite.databases.hsm?.url });
    await pg.connect();
    try {
      return (await pg.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await pg.end();
    }
  }
});
