import { randomUUID } from 'node:crypto';
import { DomainError, type ReplicaProgress } from '@keyward/contracts';
import type { RunningService } from '@keyward/platform';
import { type SuiteContext, createSuiteContext } from '@keyward/testing';
import { startHsm } from '../start-hsm';
import { HsmTestClient, makeCustodians, reencryptPart } from '../testing/hsm-test-client';
import { writePlatformPartsFile } from '../testing/platform-parts';

async function wrapCount(replica: RunningService): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith('keyward_rpc_server_duration_seconds_count') && row.includes('subject="rpc.hsm.d.*.wrap.v1"') && row.includes('outcome="ok"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

function sortedProgress(replies: (ReplicaProgress | DomainError)[]): ReplicaProgress[] {
  return replies
    .map((reply) => {
      if (reply instanceof DomainError) throw reply;
      return reply;
    })
    .sort((a, b) => a.replicaId.localeCompare(b.replicaId));
}

const RECORD_TTL_MS = 5000;

describe('two HSM replicas (software backend) sharing one key store', () => {
  let suite: SuiteContext;
  let replicaA: RunningService;
  let replicaB: RunningService | undefined;
  let client: HsmTestClient;
  const domainId = randomUUID();
  let shared: Record<string, string>;

  beforeAll(async () => {
    suite = await createSuiteContext(['hsm']);
    const platform = await writePlatformPartsFile();
    // Long enough that a replica surely still trusts a key record it read a moment ago, even on a busy machine.
    shared = { KEYWARD_HSM_PLATFORM_PARTS_FILE: platform.path, KEYWARD_HSM_STORAGE_KEY: platform.storageKey, KEYWARD_HSM_KEY_RECORD_TTL_MS: String(RECORD_TTL_MS) };
    replicaA = await startHsm(suite.envFor('hsm', { ...shared, KEYWARD_REPLICA_ID: 'hsm-a' }));
    replicaB = await startHsm(suite.envFor('hsm', { ...shared, KEYWARD_REPLICA_ID: 'hsm-b' }));
    client = await HsmTestClient.create(suite.envFor('kms'));
  });

  afterAll(async () => {
    await client?.close();
    await replicaA?.close();
    await replicaB?.close();
    await suite?.dispose();
  });

  it('an unseal reaches both replicas, each reporting its progress, and a wrap succeeds on either', async () => {
    await client.domains('create', { domainId });
    const custodians = makeCustodians(2);
    const ceremony = await client.domains('ceremony-init', {
      domainId,
      threshold: 2,
      custodians: custodians.map((custodian) => ({ name: custodian.name, publicKey: custodian.keyPair.publicKeyPem })),
    });
    const parts = ceremony.parts.map((part, i) => reencryptPart(custodians[i]!, part.encryptedPart, ceremony.ceremonyPublicKey).forHsm);

    const first = sortedProgress(await client.broadcast('unseal', { domainId, encryptedPart: parts[0] }));
    expect(first).toEqual([
      expect.objectContaining({ replicaId: 'hsm-a', state: 'sealed', submitted: 1 }),
      expect.objectContaining({ replicaId: 'hsm-b', state: 'sealed', submitted: 1 }),
    ]);
    const second = sortedProgress(await client.broadcast('unseal', { domainId, encryptedPart: parts[1] }));
    expect(second.map((reply) => [reply.replicaId, reply.state])).toEqual([
      ['hsm-a', 'active'],
      ['hsm-b', 'active'],
    ]);

    expect(await client.domains('status', { domainId })).toMatchObject({
      state: 'active',
      replicas: [
        { id: 'hsm-a', state: 'active' },
        { id: 'hsm-b', state: 'active' },
      ],
    });

    const key = await client.domainOp(domainId, 'key.generate', { kind: 'root' });
    const wraps = await Promise.all(Array.from({ length: 40 }, () => client.domainOp(domainId, 'wrap', { keyId: key.keyId })));
    // The queue group spreads requests: both replicas answered some (chance of a miss: 2^-39).
    expect(await wrapCount(replicaA)).toBeGreaterThan(0);
    expect(await wrapCount(replicaB as RunningService)).toBeGreaterThan(0);

    // A rotation lands on one replica; the other may still remember the old newest version (for up
    // to the record TTL) yet opens the new version's ciphertexts: it re-reads the record once.
    await Promise.all(Array.from({ length: 20 }, () => client.domainOp(domainId, 'wrap', { keyId: key.keyId })));
    await client.domainOp(domainId, 'key.rotate', { keyId: key.keyId });
    const afterRotation = await Promise.all(Array.from({ length: 20 }, () => client.domainOp(domainId, 'wrap', { keyId: key.keyId })));
    const newest = afterRotation.filter((wrapped) => wrapped.keyVersion === 2);
    expect(newest.length).toBeGreaterThan(0);
    const opened = await Promise.all(newest.flatMap((wrapped) => Array.from({ length: 6 }, () => client.domainOp(domainId, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext }))));
    expect(opened.map((result) => result.keyVersion)).toEqual(opened.map(() => 2));

    // A suspension made through one replica holds on both once the record TTL has passed.
    await client.domainOp(domainId, 'key.set-state', { keyId: key.keyId, state: 'suspended' });
    await new Promise((resolve) => setTimeout(resolve, RECORD_TTL_MS + 100));
    const refused = await Promise.all(Array.from({ length: 20 }, () => client.domainOp(domainId, 'wrap', { keyId: key.keyId }).catch((error: unknown) => error)));
    expect(refused.map((error) => (error as DomainError).code)).toEqual(refused.map(() => 'KEY_OBJECT_SUSPENDED_ERR'));
    await client.domainOp(domainId, 'key.set-state', { keyId: key.keyId, state: 'active' });
    await new Promise((resolve) => setTimeout(resolve, RECORD_TTL_MS + 100));

    // Sealing one replica leaves the other serving; what one wrapped the other unwraps.
    await replicaB?.close();
    replicaB = undefined;
    expect((await client.domains('status', { domainId })).replicas).toEqual([{ id: 'hsm-a', state: 'active' }]);
    for (const wrapped of wraps.slice(0, 10)) {
      expect((await client.domainOp(domainId, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext })).plaintext).toBe(wrapped.plaintext);
    }
    const sealed = sortedProgress(await client.broadcast('seal', { domainId }));
    expect(sealed).toEqual([expect.objectContaining({ replicaId: 'hsm-a', state: 'sealed' })]);
    await expect(client.domainOp(domainId, 'wrap', { keyId: key.keyId })).rejects.toMatchObject({ code: 'DOMAIN_SEALED_ERR' });
  }, 120_000);

  it('a replica started later has the platform domain at once, but not the hs-crypto domain', async () => {
    const late = await startHsm(suite.envFor('hsm', { ...shared, KEYWARD_REPLICA_ID: 'hsm-c' }));
    try {
      const key = await client.domainOp('platform', 'key.generate', { kind: 'root' });
      await Promise.all(Array.from({ length: 40 }, () => client.domainOp('platform', 'wrap', { keyId: key.keyId })));
      expect(await wrapCount(late)).toBeGreaterThan(0);
      const replies = sortedProgress(await client.broadcast('seal', { domainId }));
      expect(replies.map((reply) => [reply.replicaId, reply.state])).toEqual([
        ['hsm-a', 'sealed'],
        ['hsm-c', 'sealed'],
      ]);
      expect(await client.domains('status', { domainId: 'platform' })).toMatchObject({
        state: 'active',
        replicas: [
          { id: 'hsm-a', state: 'active' },
          { id: 'hsm-c', state: 'active' },
        ],
      });
      expect(await client.domains('status', { domainId })).toMatchObject({ state: 'sealed' });
    } finally {
      await late.close();
    }
  });
});
