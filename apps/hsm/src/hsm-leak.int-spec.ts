import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { openKeyObject, rebuildMasterKey, rsaOaepEncrypt } from '@keyward/crypto';
import type { RunningService } from '@keyward/platform';
import { type SuiteContext, connectTestNats, createCapturingLogger, createSuiteContext } from '@keyward/testing';
import { startHsm } from './start-hsm';
import { HsmTestClient, makeCustodians, reencryptPart } from './testing/hsm-test-client';
import { writePlatformPartsFile } from './testing/platform-parts';

/** Every form in which a secret could be written down. */
function forms(secret: Buffer): { form: string; needle: Buffer }[] {
  const base64 = secret.toString('base64');
  return [
    { form: 'raw', needle: secret },
    { form: 'hex', needle: Buffer.from(secret.toString('hex')) },
    { form: 'HEX', needle: Buffer.from(secret.toString('hex').toUpperCase()) },
    { form: 'base64', needle: Buffer.from(base64.replace(/=+$/, '')) },
    { form: 'base64url', needle: Buffer.from(secret.toString('base64url')) },
  ];
}

function findLeaks(haystacks: Record<string, Buffer>, secrets: Record<string, Buffer>): string[] {
  const leaks: string[] = [];
  for (const [where, haystack] of Object.entries(haystacks)) {
    for (const [name, secret] of Object.entries(secrets)) {
      for (const { form, needle } of forms(secret)) if (haystack.includes(needle)) leaks.push(`${name} (${form}) in ${where}`);
    }
  }
  return leaks;
}

describe('no key byte, part or DEK leaves the HSM in a database, a log line or a stream', () => {
  let suite: SuiteContext;
  let hsm: RunningService;
  let client: HsmTestClient;
  const captured = createCapturingLogger('hsm', 'trace');
  const secrets: Record<string, Buffer> = {};
  let platformParts: Buffer[];

  beforeAll(async () => {
    suite = await createSuiteContext(['hsm']);
    const platform = await writePlatformPartsFile(2, 3);
    platformParts = platform.parts;
    platform.parts.forEach((part, i) => (secrets[`platform part ${i}`] = part));
    secrets['storage key'] = Buffer.from(platform.storageKey, 'base64');
    hsm = await startHsm(suite.envFor('hsm', { KEYWARD_HSM_PLATFORM_PARTS_FILE: platform.path, KEYWARD_HSM_STORAGE_KEY: platform.storageKey, LOG_LEVEL: 'trace' }), {
      logger: captured.logger,
    });
    client = await HsmTestClient.create(suite.envFor('kms'));
  });

  afterAll(async () => {
    await client?.close();
    await hsm?.close();
    await suite?.dispose();
  });

  it('after a scenario touching every operation, finds none of them anywhere', async () => {
    const P = 'platform';
    const generated = await client.domainOp(P, 'key.generate', { kind: 'root' });
    const imported = randomBytes(32);
    secrets['imported root key'] = imported;
    const importedKey = await client.domainOp(P, 'key.import', { kind: 'root', payload: { material: imported.toString('base64') } });
    const rotatedMaterial = randomBytes(32);
    secrets['rotation material'] = rotatedMaterial;
    await client.domainOp(P, 'key.rotate', { keyId: importedKey.keyId, payload: { material: rotatedMaterial.toString('base64') } });
    await client.domainOp(P, 'key.rotate', { keyId: generated.keyId });
    const standard = randomBytes(24);
    secrets['standard key'] = standard;
    const standardKey = await client.domainOp(P, 'key.import', { kind: 'standard', payload: { material: standard.toString('base64') } });
    await client.domainOp(P, 'key.export', { keyId: standardKey.keyId });

    const givenDek = randomBytes(32);
    secrets['given DEK'] = givenDek;
    const wrapped = await client.domainOp(P, 'wrap', { keyId: generated.keyId, plaintext: givenDek.toString('base64'), aad: ['a'] });
    const generatedWrap = await client.domainOp(P, 'wrap', { keyId: importedKey.keyId });
    secrets['generated DEK'] = Buffer.from(generatedWrap.plaintext ?? '', 'base64');
    await client.domainOp(P, 'unwrap', { keyId: generated.keyId, ciphertext: wrapped.ciphertext, aad: ['a'] });
    await client.domainOp(P, 'rewrap', { keyId: generated.keyId, ciphertext: wrapped.ciphertext, aad: ['a'] });
    // Failures too: their log lines and error messages must not carry the inputs.
    await client.domainOp(P, 'unwrap', { keyId: generated.keyId, ciphertext: wrapped.ciphertext, aad: ['wrong'] }).catch(() => undefined);
    const batch = await client.domainOp(P, 'wrap.batch', { items: [{ keyId: generated.keyId }, { keyId: randomUUID(), plaintext: givenDek.toString('base64') }] });
    if (batch.results[0]?.ok) secrets['batch DEK'] = Buffer.from(batch.results[0].result.plaintext ?? '', 'base64');

    // Import token path.
    const pair = await client.domainOp(P, 'import-keypair.create', {});
    const tokenKey = randomBytes(32);
    const nonce = randomBytes(12);
    const iv = randomBytes(12);
    secrets['import-token key'] = tokenKey;
    const cipher = createCipheriv('aes-256-gcm', tokenKey, iv);
    const encryptedNonce = Buffer.concat([cipher.update(nonce), cipher.final(), cipher.getAuthTag()]);
    await client.domainOp(P, 'key.import', {
      kind: 'root',
      payload: {
        importToken: {
          keyPairId: pair.keyPairId,
          encryptedKey: rsaOaepEncrypt(pair.publicKey, tokenKey, 'sha256').toString('base64'),
          encryptionAlgorithm: 'RSAES_OAEP_SHA_256',
          encryptedNonce: encryptedNonce.toString('base64'),
          iv: iv.toString('base64'),
          nonce: nonce.toString('base64'),
        },
      },
    });

    // An hs-crypto ceremony and unseal: the custodians' raw parts must stay with them and the HSM.
    const domainId = randomUUID();
    await client.domains('create', { domainId });
    const custodians = makeCustodians(2);
    const ceremony = await client.domains('ceremony-init', {
      domainId,
      threshold: 2,
      custodians: custodians.map((custodian) => ({ name: custodian.name, publicKey: custodian.keyPair.publicKeyPem })),
    });
    const parts = ceremony.parts.map((part, i) => reencryptPart(custodians[i]!, part.encryptedPart, ceremony.ceremonyPublicKey));
    parts.forEach((part, i) => (secrets[`hs-crypto part ${i}`] = part.raw));
    for (const part of parts) await client.broadcast('unseal', { domainId, encryptedPart: part.forHsm });
    const hpcsKey = await client.domainOp(domainId, 'key.generate', { kind: 'root' });
    await client.domainOp(domainId, 'wrap', { keyId: hpcsKey.keyId });
    const hsmMaster = await rebuildMasterKey(parts.map((part) => part.raw), 2);
    secrets['hs-crypto master key'] = hsmMaster;

    // The platform master key and the generated root keys' material, recovered the way only an
    // attacker with the parts could, to search for them too.
    const platformMaster = await rebuildMasterKey(platformParts, 2);
    secrets['platform master key'] = platformMaster;
    const database = await dumpDatabase(suite.databases.hsm?.url ?? '');
    for (const row of await rows(suite.databases.hsm?.url ?? '', 'SELECT v.key_id, v.version, v.generation, v.blob, k.domain_id FROM key_versions v JOIN key_objects k ON k.id = v.key_id')) {
      const master = row.domain_id === 'platform' ? platformMaster : hsmMaster;
      const binding = { domainId: row.domain_id as string, keyId: row.key_id as string, version: row.version as number, generation: row.generation as number };
      secrets[`root key ${row.key_id}/${row.version}`] = openKeyObject(master, binding, row.blob as Buffer);
    }
    expect(Object.keys(secrets).length).toBeGreaterThan(15);

    await hsm.close();
    const streams = await dumpStreams();
    const leaks = findLeaks({ database, logs: Buffer.from(captured.text()), streams }, secrets);
    expect(leaks).toEqual([]);
    // The search can find things: the captured logs are not empty, and the search is not blind.
    expect(captured.lines.length).toBeGreaterThan(10);
    expect(findLeaks({ probe: Buffer.from(`x${imported.toString('base64url')}x`) }, { imported })).toEqual(['imported (base64url) in probe']);
  }, 180_000);
});

async function rows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    return (await pg.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await pg.end();
  }
}

/** Every row of every table in every schema, as JSON (bytea columns come out as hex). */
async function dumpDatabase(url: string): Promise<Buffer> {
  const tables = await rows(url, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'");
  const chunks: string[] = [];
  for (const table of tables) {
    const name = `"${String(table['table_schema'])}"."${String(table['table_name'])}"`;
    for (const row of await rows(url, `SELECT row_to_json(t)::text AS json FROM ${name} t`)) chunks.push(String(row['json']));
  }
  expect(chunks.length).toBeGreaterThan(5);
  return Buffer.from(chunks.join('\n'));
}

/** Every message of every JetStream stream on the server (the HSM publishes none; nothing may hold keys). */
async function dumpStreams(): Promise<Buffer> {
  const connection = await connectTestNats();
  const chunks: Buffer[] = [];
  try {
    const manager = await connection.jetstreamManager();
    for await (const stream of manager.streams.list()) {
      const { first_seq: first, last_seq: last } = stream.state;
      for (let seq = Math.max(first, last - 5000); seq <= last && last > 0; seq += 1) {
        const message = await manager.streams.getMessage(stream.config.name, { seq }).catch(() => undefined);
        if (message) chunks.push(Buffer.from(message.data));
      }
    }
  } finally {
    await connection.close();
  }
  return Buffer.concat(chunks);
}
