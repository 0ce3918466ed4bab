import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DomainError, type ReplicaProgress } from '@keyward/contracts';
import type { RunningService } from '@keyward/platform';
import { type SuiteContext, createSuiteContext, expectEventually } from '@keyward/testing';
import { startHsm } from '../start-hsm';
import { HsmTestClient, makeCustodians, reencryptPart } from '../testing/hsm-test-client';
import { writePlatformPartsFile } from '../testing/platform-parts';

const KEYS = 6;

/**
 * A restart in the middle of a master-key rotation job. The job is stopped deterministically: the
 * test holds a row lock on the last key version in the job's order, waits until every other version
 * has moved and the job is blocked on that row, then cancels the blocked statement (the job stops as
 * on a crash). Without a guard, unsealing with the old parts served the domain with only the old
 * generation and the moved keys failed with DOMAIN_SEALED_ERR.
 */
describe('master-key rotation resumed after a restart (software backend)', () => {
  let suite: SuiteContext;
  let env: Record<string, string | undefined>;
  let hsm: RunningService | undefined;
  let client: HsmTestClient;
  const domainId = randomUUID();

  beforeAll(async () => {
    suite = await createSuiteContext(['hsm']);
    const platform = await writePlatformPartsFile();
    env = suite.envFor('hsm', { KEYWARD_HSM_PLATFORM_PARTS_FILE: platform.path, KEYWARD_HSM_ROTATION_PAGE_SIZE: '2' });
    hsm = await startHsm(env);
    client = await HsmTestClient.create(suite.envFor('kms'));
  });

  afterAll(async () => {
    await client?.close();
    await hsm?.close();
    await suite?.dispose();
  });

  async function sql(text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
    const pg = new Client({ connectionString: suite.databases.hsm?.url });
    await pg.connect();
    try {
      return (await pg.query(text, values)).rows as Record<string, unknown>[];
    } finally {
      await pg.end();
    }
  }

  const generationCounts = () =>
    sql(
      `SELECT v.generation, count(*)::int AS n FROM key_versions v JOIN key_objects k ON k.id = v.key_id WHERE k.domain_id = $1 GROUP BY v.generation ORDER BY v.generation`,
      [domainId],
    );

  async function codeOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
      return 'no error';
    } catch (error) {
      return error instanceof DomainError ? error.code : String(error);
    }
  }

  function only(replies: (ReplicaProgress | DomainError)[]): ReplicaProgress {
    expect(replies).toHaveLength(1);
    const [reply] = replies;
    if (reply instanceof DomainError) throw reply;
    return reply as ReplicaProgress;
  }

  it('keeps the domain sealed until both generations are loaded, then serves every key and finishes the job', async () => {
    await client.domains('create', { domainId });
    const custodians = makeCustodians(3);
    const publicKeys = custodians.map((custodian) => ({ name: custodian.name, publicKey: custodian.keyPair.publicKeyPem }));
    const first = await client.domains('ceremony-init', { domainId, threshold: 2, custodians: publicKeys });
    const oldParts = first.parts.map((part, i) => reencryptPart(custodians[i]!, part.encryptedPart, first.ceremonyPublicKey).forHsm);
    for (const part of oldParts.slice(0, 2)) await client.broadcast('unseal', { domainId, encryptedPart: part });

    const wrapped: { keyId: string; ciphertext: string; plaintext?: string }[] = [];
    for (let i = 0; i < KEYS; i += 1) {
      const { keyId } = await client.domainOp(domainId, 'key.generate', { kind: 'root' });
      wrapped.push({ keyId, ...(await client.domainOp(domainId, 'wrap', { keyId })) });
    }
    const second = await client.domains('ceremony-init', { domainId, threshold: 2, custodians: publicKeys, rotation: true });
    const newParts = second.parts.map((part, i) => reencryptPart(custodians[i]!, part.encryptedPart, second.ceremonyPublicKey).forHsm);

    // Hold the last version in the job's order (key id, version) so the job stops right before it.
    const locker = new Client({ connectionString: suite.databases.hsm?.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      const [last] = (
        await locker.query(
          'SELECT v.key_id FROM key_versions v JOIN key_objects k ON k.id = v.key_id WHERE k.domain_id = $1 ORDER BY v.key_id DESC, v.version DESC LIMIT 1 FOR UPDATE OF v',
          [domainId],
        )
      ).rows as { key_id: string }[];
      await client.broadcast('rotate-master-key', { domainId, encryptedPart: newParts[0] });
      expect(only(await client.broadcast('rotate-master-key', { domainId, encryptedPart: newParts[1] })).rotation).toMatchObject({ ready: true });

      const blocked = await expectEventually(async () => {
        const waiting = await sql(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%key_versions%'",
        );
        expect(waiting).toHaveLength(1);
        return waiting[0]!['pid'] as number;
      }, { timeoutMs: 30_000 });
      expect(await generationCounts()).toEqual([{ generation: 1, n: 1 }, { generation: 2, n: KEYS - 1 }]);
      await sql('SELECT pg_cancel_backend($1)', [blocked]);
      await locker.query('ROLLBACK');
      expect(last?.key_id).toBe([...wrapped].map((entry) => entry.keyId).sort().at(-1));
    } finally {
      await locker.end();
    }

    // Restart mid-rotation: the domain's master key is still generation 1, with a rotation pending.
    await hsm?.close();
    hsm = undefined;
    expect(await generationCounts()).toEqual([{ generation: 1, n: 1 }, { generation: 2, n: KEYS - 1 }]);
    expect(await sql('SELECT generation, pending_master_check IS NOT NULL AS pending FROM domains WHERE id = $1', [domainId])).toEqual([{ generation: 1, pending: true }]);
    hsm = await startHsm(env);

    // The old parts alone: loaded, but the domain is not served (no key half usable).
    await client.broadcast('unseal', { domainId, encryptedPart: oldParts[0] });
    expect(only(await client.broadcast('unseal', { domainId, encryptedPart: oldParts[2] }))).toMatchObject({ state: 'sealed', awaitingRotationParts: true });
    expect(await client.domains('status', { domainId })).toMatchObject({ state: 'sealed' });
    for (const entry of wrapped) expect(await codeOf(client.domainOp(domainId, 'unwrap', { keyId: entry.keyId, ciphertext: entry.ciphertext }))).toBe('DOMAIN_SEALED_ERR');

    // With the rotation parts too, every key works at once, and the job finishes.
    await client.broadcast('rotate-master-key', { domainId, encryptedPart: newParts[2] });
    expect(only(await client.broadcast('rotate-master-key', { domainId, encryptedPart: newParts[0] }))).toMatchObject({ state: 'active', rotation: { ready: true } });
    const failures: string[] = [];
    for (const entry of wrapped) {
      const result = await client.domainOp(domainId, 'unwrap', { keyId: entry.keyId, ciphertext: entry.ciphertext }).catch((error: unknown) => error);
      if (result instanceof DomainError) failures.push(`${result.code}: ${result.message}`);
      else expect((result as { plaintext: string }).plaintext).toBe(entry.plaintext);
    }
    expect(failures).toEqual([]);
    await expectEventually(async () => expect(await client.domains('status', { domainId })).toMatchObject({ generation: 2, state: 'active' }), { timeoutMs: 30_000 });
    expect(await generationCounts()).toEqual([{ generation: 2, n: KEYS }]);

    // And after another restart, the new parts alone unseal it.
    await hsm.close();
    hsm = await startHsm(env);
    await client.broadcast('unseal', { domainId, encryptedPart: newParts[1] });
    expect(only(await client.broadcast('unseal', { domainId, encryptedPart: newParts[2] }))).toMatchObject({ state: 'active', generation: 2 });
    expect((await client.domainOp(domainId, 'unwrap', { keyId: wrapped[0]!.keyId, ciphertext: wrapped[0]!.ciphertext })).plaintext).toBe(wrapped[0]!.plaintext);
  }, 120_000);
});
