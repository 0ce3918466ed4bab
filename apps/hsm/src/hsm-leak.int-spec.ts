import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { DomainError, type ReplicaProgress } from '@keyward/contracts';
import { hybridEncrypt, openKeyObject, rebuildMasterKey, rsaOaepEncrypt } from '@keyward/crypto';
import { type SuiteContext, connectTestNats, createCapturingLogger, createSuiteContext, expectEventually } from '@keyward/testing';
import { startHsm } from './start-hsm';
import { HsmTestClient, makeCustodians, reencryptPart } from './testing/hsm-test-client';
import { HSM_BACKENDS, type HsmBackendSetup, backendSetup } from './testing/backend-env';

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

describe.each(HSM_BACKENDS)('no key byte, part or DEK leaves the HSM in a database, a log line, a metric, an RPC error or a stream (%s backend)', (backend) => {
  let suite: SuiteContext;
  let setup: HsmBackendSetup;
  let hsm: { url: string; close(): Promise<void> };
  let client: HsmTestClient;
  const captured = createCapturingLogger('hsm', 'trace');
  const secrets: Record<string, Buffer> = {};
  /** Every error an RPC returned to the caller, as it crossed NATS. */
  const rpcErrors: string[] = [];
  let platformParts: Buffer[] = [];

  const refused = async (call: Promise<unknown>): Promise<string> => {
    const error = await call.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
    rpcErrors.push(JSON.stringify({ ...error.toWire(), stack: error.stack }));
    return error.code;
  };
  const refusedReplies = (replies: (ReplicaProgress | DomainError)[]): string[] =>
    replies.map((reply) => {
      if (!(reply instanceof DomainError)) throw new Error('expected a refusal');
      rpcErrors.push(JSON.stringify(reply.toWire()));
      return reply.code;
    });

  beforeAll(async () => {
    suite = await createSuiteContext(['hsm']);
    setup = await backendSetup(backend);
    const env = suite.envFor('hsm', { ...setup.env, LOG_LEVEL: 'trace' });
    secrets['storage key'] = Buffer.from(env['KEYWARD_HSM_STORAGE_KEY'] ?? '', 'base64');
    if (backend === 'software') {
      const file = JSON.parse(readFileSync(setup.env['KEYWARD_HSM_PLATFORM_PARTS_FILE'] ?? '', 'utf8')) as { parts: string[] };
      platformParts = file.parts.map((part) => Buffer.from(part, 'base64'));
      platformParts.forEach((part, i) => (secrets[`platform part ${i}`] = part));
      // In-process, so the trace-level logger captures every line.
      hsm = await startHsm(env, { logger: captured.logger });
    } else {
      // The built app in a child process; its stdout (LOG_LEVEL=trace) is the log searched.
      hsm = await setup.launch(env);
    }
    client = await HsmTestClient.create(suite.envFor('kms'));
  });

  afterAll(async () => {
    await client?.close();
    await hsm?.close();
    await suite?.dispose();
    setup?.dispose();
  });

  it('after a scenario touching every operation, refusals and a master-key rotation, finds none of them anywhere', async () => {
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

    // Refusals: their log lines and the errors returned to the caller must not carry the inputs.
    expect(await refused(client.domainOp(P, 'unwrap', { keyId: generated.keyId, ciphertext: wrapped.ciphertext, aad: ['wrong'] }))).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
    const tampered = Buffer.from(wrapped.ciphertext, 'base64');
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 1;
    expect(await refused(client.domainOp(P, 'unwrap', { keyId: generated.keyId, ciphertext: tampered.toString('base64'), aad: ['a'] }))).toBe('UNPROCESSABLE_CIPHERTEXT_ERR');
    expect(await refused(client.domainOp(P, 'key.export', { keyId: generated.keyId }))).toBe('KEY_OBJECT_NOT_EXPORTABLE_ERR');
    const oddMaterial = randomBytes(20);
    secrets['refused material'] = oddMaterial;
    expect(await refused(client.domainOp(P, 'key.import', { kind: 'root', payload: { material: oddMaterial.toString('base64') } }))).toMatch(/_ERR$/);
    const suspendedKey = await client.domainOp(P, 'key.generate', { kind: 'root' });
    await client.domainOp(P, 'key.set-state', { keyId: suspendedKey.keyId, state: 'suspended' });
    expect(await refused(client.domainOp(P, 'wrap', { keyId: suspendedKey.keyId, plaintext: givenDek.toString('base64') }))).toBe('KEY_OBJECT_SUSPENDED_ERR');
    const batch = await client.domainOp(P, 'wrap.batch', { items: [{ keyId: generated.keyId }, { keyId: randomUUID(), plaintext: givenDek.toString('base64') }] });
    if (batch.results[0]?.ok) secrets['batch DEK'] = Buffer.from(batch.results[0].result.plaintext ?? '', 'base64');
    const batchErrors = batch.results.filter((result) => !result.ok);
    expect(batchErrors).toHaveLength(1);
    rpcErrors.push(JSON.stringify(batchErrors));

    // Import token path, then the same token with a wrong nonce (the nonce must not come back).
    const pair = await client.domainOp(P, 'import-keypair.create', {});
    const tokenKey = randomBytes(32);
    const nonce = randomBytes(12);
    const iv = randomBytes(12);
    secrets['import-token key'] = tokenKey;
    const cipher = createCipheriv('aes-256-gcm', tokenKey, iv);
    const encryptedNonce = Buffer.concat([cipher.update(nonce), cipher.final(), cipher.getAuthTag()]);
    const importToken = {
      keyPairId: pair.keyPairId,
      encryptedKey: rsaOaepEncrypt(pair.publicKey, tokenKey, 'sha256').toString('base64'),
      encryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      encryptedNonce: encryptedNonce.toString('base64'),
      iv: iv.toString('base64'),
    };
    await client.domainOp(P, 'key.import', { kind: 'root', payload: { importToken: { ...importToken, nonce: nonce.toString('base64') } } });
    expect(await refused(client.domainOp(P, 'key.import', { kind: 'root', payload: { importToken: { ...importToken, nonce: randomBytes(12).toString('base64') } } }))).toMatch(
      /NONCE/,
    );

    // An hs-crypto ceremony and unseal: the custodians' raw parts must stay with them and the HSM.
    const domainId = randomUUID();
    await client.domains('create', { domainId });
    const custodians = makeCustodians(2);
    const publicKeys = custodians.map((custodian) => ({ name: custodian.name, publicKey: custodian.keyPair.publicKeyPem }));
    const ceremony = await client.domains('ceremony-init', { domainId, threshold: 2, custodians: publicKeys });
    const parts = ceremony.parts.map((part, i) => reencryptPart(custodians[i]!, part.encryptedPart, ceremony.ceremonyPublicKey));
    parts.forEach((part, i) => (secrets[`hs-crypto part ${i}`] = part.raw));
    // A part encrypted to the ceremony key but not of this ceremony: refused without echoing it.
    const strayPart = randomBytes(33);
    secrets['stray part'] = strayPart;
    expect(refusedReplies(await client.broadcast('unseal', { domainId, encryptedPart: hybridEncrypt(ceremony.ceremonyPublicKey, strayPart) }))).toEqual(['CEREMONY_PART_INVALID_ERR']);
    for (const part of parts) await client.broadcast('unseal', { domainId, encryptedPart: part.forHsm });
    const hpcsKey = await client.domainOp(domainId, 'key.generate', { kind: 'root' });
    const hpcsWrapped = await client.domainOp(domainId, 'wrap', { keyId: hpcsKey.keyId });
    secrets['hs-crypto DEK'] = Buffer.from(hpcsWrapped.plaintext ?? '', 'base64');
    const masters: Record<string, Buffer> = { [`${domainId}/1`]: await rebuildMasterKey(parts.map((part) => part.raw), 2) };
    secrets['hs-crypto master key 1'] = masters[`${domainId}/1`]!;

    // A master-key rotation of that domain: new parts, the job, and keys sealed under generation 2.
    const rotation = await client.domains('ceremony-init', { domainId, threshold: 2, custodians: publicKeys, rotation: true });
    const newParts = rotation.parts.map((part, i) => reencryptPart(custodians[i]!, part.encryptedPart, rotation.ceremonyPublicKey));
    newParts.forEach((part, i) => (secrets[`hs-crypto rotation part ${i}`] = part.raw));
    expect(refusedReplies(await client.broadcast('rotate-master-key', { domainId, encryptedPart: parts[0]!.forHsm }))).toEqual(['CEREMONY_PART_INVALID_ERR']);
    for (const part of newParts) await client.broadcast('rotate-master-key', { domainId, encryptedPart: part.forHsm });
    await expectEventually(async () => expect(await client.domains('status', { domainId })).toMatchObject({ generation: 2 }), { timeoutMs: 30_000 });
    const afterRotation = await client.domainOp(domainId, 'key.generate', { kind: 'root' });
    await client.domainOp(domainId, 'unwrap', { keyId: hpcsKey.keyId, ciphertext: hpcsWrapped.ciphertext });
    await client.domainOp(domainId, 'wrap', { keyId: afterRotation.keyId });
    masters[`${domainId}/2`] = await rebuildMasterKey(newParts.map((part) => part.raw), 2);
    secrets['hs-crypto master key 2'] = masters[`${domainId}/2`]!;

    // The platform master key (software: from its parts; pkcs11: it never leaves the token) and every
    // root key's material, recovered the way only an attacker with the master keys could.
    if (backend === 'software') {
      masters['platform/1'] = await rebuildMasterKey(platformParts, 2);
      secrets['platform master key'] = masters['platform/1'];
    }
    const database = await dumpDatabase(suite.databases.hsm?.url ?? '');
    let opened = 0;
    for (const row of await rows(suite.databases.hsm?.url ?? '', 'SELECT v.key_id, v.version, v.generation, v.blob, k.domain_id FROM key_versions v JOIN key_objects k ON k.id = v.key_id WHERE v.blob IS NOT NULL')) {
      const master = masters[`${String(row['domain_id'])}/${String(row['generation'])}`];
      if (!master) continue; // pkcs11 platform keys: sealed in the token, whose key nobody can read.
      const binding = { domainId: row['domain_id'] as string, keyId: row['key_id'] as string, version: row['version'] as number, generation: row['generation'] as number };
      secrets[`root key ${String(row['key_id'])}/${String(row['version'])}`] = openKeyObject(master, binding, row['blob'] as Buffer);
      opened += 1;
    }
    // software: 7 platform versions (2 + 2 + standard + suspended + import token) and 2 hs-crypto; pkcs11: the 2 hs-crypto.
    expect(opened).toBe(backend === 'software' ? 9 : 2);
    expect(Object.keys(secrets).length).toBeGreaterThan(15);
    expect(rpcErrors.length).toBeGreaterThanOrEqual(9);

    const metrics = await (await fetch(`${hsm.url}/metrics`)).text();
    expect(metrics).toContain('# TYPE');
    await hsm.close();
    const logs = backend === 'software' ? captured.text() : setup.output.join('\n');
    const streams = await dumpStreams();
    const leaks = findLeaks({ database, logs: Buffer.from(logs), metrics: Buffer.from(metrics), 'RPC errors': Buffer.from(rpcErrors.join('\n')), streams }, secrets);
    expect(leaks).toEqual([]);
    // The search can find things: the logs are not empty (trace level), and the search is not blind.
    expect(logs.split('\n').length).toBeGreaterThan(10);
    // (A fixed probe: 0xfb bytes give '+' and '/' in base64, so base64 and base64url differ.)
    const probe = Buffer.alloc(32, 0xfb);
    expect(findLeaks({ probe: Buffer.from(`x${probe.toString('base64url')}x`) }, { probe })).toEqual(['probe (base64url) in probe']);
  }, 240_000);
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
