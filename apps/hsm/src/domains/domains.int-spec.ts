import { randomUUID } from 'node:crypto';
import { DomainError, type ReplicaProgress } from '@keyward/contracts';
import { hybridEncrypt } from '@keyward/crypto';
import { type SuiteContext, createSuiteContext } from '@keyward/testing';
import { HsmTestClient, makeCustodians, reencryptPart } from '../testing/hsm-test-client';
import { HSM_BACKENDS, type LaunchedHsm, backendSetup } from '../testing/backend-env';

const DEK = Buffer.alloc(32, 7).toString('base64');

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return error instanceof DomainError ? error.code : `not a DomainError: ${String(error)}`;
  }
}

function progress(replies: (ReplicaProgress | DomainError)[]): ReplicaProgress[] {
  return replies.map((reply) => {
    if (reply instanceof DomainError) throw reply;
    return reply;
  });
}

describe.each(HSM_BACKENDS)('HSM domains: ceremonies, unseal, seal, restart (%s backend, real NATS + Postgres)', (backend) => {
  let suite: SuiteContext;
  let platformThreshold: number | null;
  let disposeBackend: () => void = () => undefined;
  let launch: (env: Record<string, string | undefined>) => Promise<LaunchedHsm>;
  let env: Record<string, string | undefined>;
  let hsm: LaunchedHsm;
  let client: HsmTestClient;
  const hpcsDomain = randomUUID();
  const custodians = makeCustodians(3);
  let ceremonyPublicKey = '';
  let encryptedParts: string[] = [];

  beforeAll(async () => {
    suite = await createSuiteContext(['hsm']);
    const setup = await backendSetup(backend);
    launch = setup.launch;
    platformThreshold = setup.platformThreshold;
    disposeBackend = setup.dispose;
    env = suite.envFor('hsm', { ...setup.env, KEYWARD_REPLICA_ID: 'hsm-a' });
    hsm = await launch(env);
    client = await HsmTestClient.create(suite.envFor('kms'));
  });

  afterAll(async () => {
    await client?.close();
    await hsm?.close();
    await suite?.dispose();
    disposeBackend();
  });

  it('starts with the platform domain unsealed (parts file, or the token), serving key operations', async () => {
    const status = await client.domains('status', { domainId: 'platform' });
    expect(status).toMatchObject({ domainId: 'platform', state: 'active', threshold: platformThreshold, generation: 1 });
    const key = await client.domainOp('platform', 'key.generate', { kind: 'root' });
    const wrapped = await client.domainOp('platform', 'wrap', { keyId: key.keyId, plaintext: DEK });
    expect((await client.domainOp('platform', 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext })).plaintext).toBe(DEK);
  });

  it('creates an hs-crypto domain that is uninitialized, and answers "no responders" as DOMAIN_SEALED_ERR', async () => {
    expect(await client.domains('create', { domainId: hpcsDomain })).toMatchObject({ state: 'uninitialized', threshold: null });
    // Creating again is harmless (the KMS sets instances up lazily and on events).
    expect(await client.domains('create', { domainId: hpcsDomain })).toMatchObject({ state: 'uninitialized' });
    expect(await codeOf(client.domainOp(hpcsDomain, 'key.generate', { kind: 'root' }))).toBe('DOMAIN_SEALED_ERR');
    expect(await codeOf(client.domains('status', { domainId: randomUUID() }))).toBe('DOMAIN_NOT_FOUND_ERR');
    expect(await codeOf(client.domains('create', { domainId: 'not a guid' }))).toBe('BAD_BODY_ERR');
  });

  it('runs a 2-of-3 key ceremony: parts encrypted to each custodian, domain sealed afterwards', async () => {
    const result = await client.domains('ceremony-init', {
      domainId: hpcsDomain,
      threshold: 2,
      custodians: custodians.map((custodian) => ({ name: custodian.name, publicKey: custodian.keyPair.publicKeyPem })),
    });
    expect(result.parts.map((part) => part.name)).toEqual(['custodian-1', 'custodian-2', 'custodian-3']);
    ceremonyPublicKey = result.ceremonyPublicKey;
    encryptedParts = result.parts.map((part, index) => reencryptPart(custodians[index]!, part.encryptedPart, ceremonyPublicKey).forHsm);
    expect(await client.domains('status', { domainId: hpcsDomain })).toMatchObject({ state: 'sealed', threshold: 2, submitted: 0, ceremonyPublicKey });
    // One ceremony per master key: a second one must say it is a rotation.
    expect(await codeOf(client.domains('ceremony-init', { domainId: hpcsDomain, threshold: 1, custodians: [{ name: 'x', publicKey: custodians[0]!.keyPair.publicKeyPem }] }))).toBe('DOMAIN_STATE_ERR');
  });

  it('refuses bad ceremony input with 4xx codes', async () => {
    const other = randomUUID();
    await client.domains('create', { domainId: other });
    const custodian = { name: 'c', publicKey: custodians[0]!.keyPair.publicKeyPem };
    expect(await codeOf(client.domains('ceremony-init', { domainId: other, threshold: 3, custodians: [custodian, custodian] }))).toBe('INVALID_FIELD_ERR');
    expect(await codeOf(client.domains('ceremony-init', { domainId: other, threshold: 1, custodians: [{ name: 'c', publicKey: 'nope' }] }))).toBe('INVALID_FIELD_ERR');
    expect(await codeOf(client.domains('ceremony-init', { domainId: other, threshold: 0, custodians: [custodian] }))).toBe('BAD_BODY_ERR');
  });

  it('unseals part by part with visible progress; a wrong part is refused by its verification value', async () => {
    const wrongPart = hybridEncrypt(ceremonyPublicKey, Buffer.alloc(33, 1));
    const [refused] = await client.broadcast('unseal', { domainId: hpcsDomain, encryptedPart: wrongPart });
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('CEREMONY_PART_INVALID_ERR');
    const notForThisKey = hybridEncrypt(custodians[0]!.keyPair.publicKeyPem, Buffer.alloc(33, 1));
    expect(((await client.broadcast('unseal', { domainId: hpcsDomain, encryptedPart: notForThisKey }))[0] as DomainError).code).toBe('CEREMONY_PART_INVALID_ERR');

    const first = progress(await client.broadcast('unseal', { domainId: hpcsDomain, encryptedPart: encryptedParts[2] }));
    expect(first).toEqual([expect.objectContaining({ replicaId: 'hsm-a', state: 'sealed', submitted: 1, threshold: 2 })]);
    // The same part again does not count twice.
    expect(progress(await client.broadcast('unseal', { domainId: hpcsDomain, encryptedPart: encryptedParts[2] }))[0]).toMatchObject({ submitted: 1 });
    expect(await codeOf(client.domainOp(hpcsDomain, 'key.generate', { kind: 'root' }))).toBe('DOMAIN_SEALED_ERR');
    const second = progress(await client.broadcast('unseal', { domainId: hpcsDomain, encryptedPart: encryptedParts[0] }));
    expect(second).toEqual([expect.objectContaining({ state: 'active', submitted: 0 })]);
    expect(await client.domains('status', { domainId: hpcsDomain })).toMatchObject({ state: 'active', replicas: [{ id: 'hsm-a', state: 'active' }] });
  });

  it('seals on demand (no responders again), unseals again, and keeps key objects across seal and restart', async () => {
    const key = await client.domainOp(hpcsDomain, 'key.generate', { kind: 'root', bits: 128 });
    const wrapped = await client.domainOp(hpcsDomain, 'wrap', { keyId: key.keyId, plaintext: DEK, aad: ['t'] });
    const platformKey = await client.domainOp('platform', 'key.generate', { kind: 'root' });
    const platformWrapped = await client.domainOp('platform', 'wrap', { keyId: platformKey.keyId });

    expect(progress(await client.broadcast('seal', { domainId: hpcsDomain }))).toEqual([expect.objectContaining({ state: 'sealed' })]);
    expect(await codeOf(client.domainOp(hpcsDomain, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext, aad: ['t'] }))).toBe('DOMAIN_SEALED_ERR');

    // Restart: the platform domain comes back (parts file or token); the hs-crypto domain stays sealed.
    await hsm.close();
    hsm = await launch(env);
    expect(await client.domains('status', { domainId: 'platform' })).toMatchObject({ state: 'active' });
    expect(await client.domains('status', { domainId: hpcsDomain })).toMatchObject({ state: 'sealed', submitted: 0 });
    expect(await codeOf(client.domainOp(hpcsDomain, 'wrap', { keyId: key.keyId }))).toBe('DOMAIN_SEALED_ERR');
    const platformPlain = await client.domainOp('platform', 'unwrap', { keyId: platformKey.keyId, ciphertext: platformWrapped.ciphertext });
    expect(platformPlain.plaintext).toBe(platformWrapped.plaintext);

    await client.broadcast('unseal', { domainId: hpcsDomain, encryptedPart: encryptedParts[1] });
    expect(progress(await client.broadcast('unseal', { domainId: hpcsDomain, encryptedPart: encryptedParts[2] }))[0]).toMatchObject({ state: 'active' });
    expect((await client.domainOp(hpcsDomain, 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext, aad: ['t'] })).plaintext).toBe(DEK);
  });

  it('keeps domains apart: a key of one domain is unknown in another', async () => {
    const key = await client.domainOp(hpcsDomain, 'key.generate', { kind: 'root' });
    expect(await codeOf(client.domainOp('platform', 'wrap', { keyId: key.keyId }))).toBe('KEY_OBJECT_NOT_FOUND_ERR');
  });
});
