import { randomBytes } from 'node:crypto';
import type { KmsKeyEvent } from '@keyward/contracts';
import { type KeyRef, KmsClient } from '../kms-client';
import { FakeKmsServer, countingTokens, kpError } from '../testing/fake-kms-server';
import { EnvelopeEncryption, type EnvelopeEncryptionOptions, type WrappedDataKey } from './envelope-encryption';

const SOURCE_CRN = 'crn:v1:keyward:public:apprapp:us-south:a/0123456789abcdef0123456789abcdef:5f7e2b10-1111-4222-8333-944445555666::';

function keyEvent(eventType: KmsKeyEvent['eventType'], key: KeyRef, overrides: Partial<KmsKeyEvent> = {}): KmsKeyEvent {
  return {
    eventId: `ev-${Math.random().toString(16).slice(2)}`,
    eventType,
    instanceId: key.instanceId,
    keyId: key.keyId,
    keyCrn: `crn:v1:keyward:public:kms:us-south:a/0123456789abcdef0123456789abcdef:${key.instanceId}:key:${key.keyId}`,
    keyState: { 'key.disabled': 2, 'key.deleted': 5, 'key.purged': 5, 'key.expired': 3 }[eventType as string] ?? 1,
    oldKeyVersionId: 'v-old',
    newKeyVersionId: 'v-old',
    registrations: [{ resourceCrn: SOURCE_CRN, preventKeyDeletion: false }],
    timestamp: '2026-11-23T06:00:00Z',
    ...overrides,
  };
}

describe(EnvelopeEncryption.name, () => {
  let kms: FakeKmsServer;
  let key: KeyRef;
  let now: number;
  const deks: Buffer[] = [];

  beforeEach(async () => {
    kms = await FakeKmsServer.start();
    key = { instanceId: 'inst-1', keyId: kms.addKey(), sourceCrn: SOURCE_CRN };
    now = 1_000_000;
    deks.length = 0;
  });
  afterEach(() => kms.close());

  function envelope(options: Partial<EnvelopeEncryptionOptions> = {}): EnvelopeEncryption {
    return new EnvelopeEncryption({
      client: new KmsClient({ kmsUrl: kms.url, tokens: countingTokens() }),
      now: () => now,
      // Keep each new DEK's buffer, to check that it is zeroized.
      randomBytes: (size) => {
        const dek = randomBytes(size);
        deks.push(dek);
        return dek;
      },
      ...options,
    });
  }

  it('generates the DEK locally, has the root key wrap it, and encrypts with AES-256-GCM under AAD without further KMS calls', async () => {
    const cipher = envelope();
    const dataKey = await cipher.createDataKey(key, { kmsAad: ['apprapp'] });
    const wrapCall = kms.requestsTo('/actions/wrap')[0]!;
    expect(Buffer.from((wrapCall.body as { plaintext: string }).plaintext, 'base64')).toEqual(deks[0]);
    expect((wrapCall.body as { aad: string[] }).aad).toEqual(['apprapp']);
    expect(dataKey).toMatchObject({ ref: key, keyVersionId: kms.latestVersionId(key.keyId), kmsAad: ['apprapp'] });

    const sealed = await cipher.encrypt(dataKey, 'feature flag value', 'env-1/flag-1');
    expect(Buffer.from(sealed, 'base64')[0]).toBe(0x01);
    await expect(cipher.decryptToString(dataKey, sealed, 'env-1/flag-1')).resolves.toBe('feature flag value');
    expect(kms.requestsTo('/actions/unwrap')).toHaveLength(0);
    expect(await cipher.encrypt(dataKey, 'feature flag value', 'env-1/flag-1')).not.toBe(sealed);
  });

  it('refuses a key named by an alias (events name keys by id, so its DEKs would outlive a disabled event), before any KMS call', async () => {
    const cipher = envelope();
    const byAlias: KeyRef = { ...key, keyId: 'billing-root' };
    const refused = { code: 'INVALID_FIELD_ERR', status: 400, target: { type: 'field', name: 'keyId' } };
    await expect(cipher.createDataKey(byAlias)).rejects.toMatchObject(refused);
    const stored = { ref: byAlias, wrappedDek: 'AAAA', keyVersionId: 'v' };
    await expect(cipher.decrypt(stored, 'AAAA', 'x')).rejects.toMatchObject(refused);
    await expect(cipher.rewrap(stored)).rejects.toMatchObject(refused);
    expect(kms.requests).toHaveLength(0);
    expect(deks).toHaveLength(0);
  });

  it('refuses a ciphertext under another AAD or tampered with', async () => {
    const cipher = envelope();
    const dataKey = await cipher.createDataKey(key);
    const sealed = await cipher.encrypt(dataKey, Buffer.from('secret row'), 'row-1');
    await expect(cipher.decrypt(dataKey, sealed, 'row-2')).rejects.toMatchObject({ code: 'UNPROCESSABLE_CIPHERTEXT_ERR', status: 422 });
    const tampered = Buffer.from(sealed, 'base64');
    tampered[20] = (tampered[20] as number) ^ 1;
    await expect(cipher.decrypt(dataKey, tampered.toString('base64'), 'row-1')).rejects.toMatchObject({ code: 'UNPROCESSABLE_CIPHERTEXT_ERR' });
    await expect(cipher.decrypt(dataKey, 'AAAA', 'row-1')).rejects.toMatchObject({ code: 'UNPROCESSABLE_CIPHERTEXT_ERR' });
  });

  it('unwraps a stored data key once through the KMS, shared by concurrent readers', async () => {
    const dataKey = await envelope().createDataKey(key);
    const sealed = await envelope().encrypt(dataKey, 'x', 'a');
    expect(kms.requestsTo('/actions/unwrap')).toHaveLength(1);
    const fresh = envelope();
    await Promise.all([fresh.decrypt(dataKey, sealed, 'a'), fresh.decrypt(dataKey, sealed, 'a'), fresh.decrypt(dataKey, sealed, 'a')]);
    expect(kms.requestsTo('/actions/unwrap')).toHaveLength(2);
  });

  it('zeroizes the DEK on a disabled event and refuses the key, naming its state, until it is enabled', async () => {
    const cipher = envelope();
    const dataKey = await cipher.createDataKey(key);
    const sealed = await cipher.encrypt(dataKey, 'x', 'a');
    kms.setState(key.keyId, 2);
    await cipher.applyKeyEvent(keyEvent('key.disabled', key), [dataKey]);
    expect(deks[0]!.equals(Buffer.alloc(32))).toBe(true);
    expect(cipher.cachedCount).toBe(0);
    await expect(cipher.decrypt(dataKey, sealed, 'a')).rejects.toMatchObject({
      code: 'KMS_KEY_UNAVAILABLE_ERR',
      status: 409,
      message: `The root key ${key.keyId} is disabled (state 2): the data cannot be read until the key is enabled again`,
    });
    await expect(cipher.encrypt(dataKey, 'y', 'a')).rejects.toMatchObject({ code: 'KMS_KEY_UNAVAILABLE_ERR' });
    expect(kms.requestsTo('/actions/unwrap')).toHaveLength(0);

    kms.setState(key.keyId, 1);
    await cipher.applyKeyEvent(keyEvent('key.enabled', key), [dataKey]);
    expect(kms.requestsTo('/actions/unwrap')).toHaveLength(1);
    await expect(cipher.decryptToString(dataKey, sealed, 'a')).resolves.toBe('x');
  });

  it('says until when a deleted key can be restored, works again after restored, and calls purged data unrecoverable', async () => {
    const cipher = envelope();
    const dataKey = await cipher.createDataKey(key);
    const sealed = await cipher.encrypt(dataKey, 'x', 'a');
    await cipher.applyKeyEvent(keyEvent('key.deleted', key, { timestamp: '2026-11-23T06:00:00Z' }));
    expect(deks[0]!.equals(Buffer.alloc(32))).toBe(true);
    await expect(cipher.decrypt(dataKey, sealed, 'a')).rejects.toMatchObject({
      code: 'KMS_KEY_UNAVAILABLE_ERR',
      message: `The root key ${key.keyId} was deleted (state 5): the data cannot be read; the key is restorable until 2026-12-23T06:00:00.000Z`,
    });
    await cipher.applyKeyEvent(keyEvent('key.restored', key));
    await expect(cipher.decryptToString(dataKey, sealed, 'a')).resolves.toBe('x');

    await cipher.applyKeyEvent(keyEvent('key.purged', key));
    now += 24 * 3600_000;
    await expect(cipher.decrypt(dataKey, sealed, 'a')).rejects.toMatchObject({ code: 'KMS_KEY_PURGED_ERR', status: 410 });
  });

  it('rewraps every data key on a rotated event, keeps the DEK, and skips keys already under the new version', async () => {
    const cipher = envelope();
    const dataKey = await cipher.createDataKey(key);
    const sealed = await cipher.encrypt(dataKey, 'x', 'a');
    const newVersion = kms.rotate(key.keyId);
    const [rewrapped] = await cipher.applyKeyEvent(keyEvent('key.rotated', key, { newKeyVersionId: newVersion }), [dataKey]);
    expect(rewrapped).toMatchObject({ keyVersionId: newVersion });
    expect(rewrapped!.wrappedDek).not.toBe(dataKey.wrappedDek);
    expect(kms.requestsTo('/actions/rewrap')).toHaveLength(1);
    // Still cached under its new wrapped form, and a fresh replica unwraps the new form to the same DEK.
    await expect(cipher.decryptToString(rewrapped!, sealed, 'a')).resolves.toBe('x');
    await expect(envelope().decryptToString(rewrapped!, sealed, 'a')).resolves.toBe('x');
    expect(kms.requestsTo('/actions/unwrap')).toHaveLength(1);
    await cipher.applyKeyEvent(keyEvent('key.rotated', key, { newKeyVersionId: newVersion }), [rewrapped!]);
    expect(kms.requestsTo('/actions/rewrap')).toHaveLength(1);
  });

  it('does not fail a rotated or enabled event for a key no longer usable (it would hold every later event), but does when the KMS is away', async () => {
    const cipher = envelope();
    const dataKey = await cipher.createDataKey(key);
    const newVersion = kms.rotate(key.keyId);
    const rotated = keyEvent('key.rotated', key, { newKeyVersionId: newVersion });
    // Deleted (or disabled) at the KMS since the rotation: rewrap is refused with 409, the old form is kept.
    kms.setState(key.keyId, 5);
    await expect(cipher.applyKeyEvent(rotated, [dataKey])).resolves.toEqual([dataKey]);
    // Another replica's copy of the later disabled event already blocked the key here: no KMS call.
    await cipher.applyKeyEvent(keyEvent('key.disabled', key, { keyState: 2 }), []);
    const rewraps = kms.requestsTo('/actions/rewrap').length;
    await expect(cipher.applyKeyEvent(rotated, [dataKey])).resolves.toEqual([dataKey]);
    expect(kms.requestsTo('/actions/rewrap')).toHaveLength(rewraps);
    // Enabled, but disabled again at the KMS before this replica unwrapped: the read will ask again.
    kms.setState(key.keyId, 2);
    await expect(cipher.applyKeyEvent(keyEvent('key.enabled', key), [dataKey])).resolves.toEqual([dataKey]);
    expect(cipher.cachedCount).toBe(0);
    // A KMS that cannot be reached is retried (the event fails), as any other failure.
    kms.setState(key.keyId, 1);
    kms.intercept = () => kpError(503, 'SERVICE_UNAVAILABLE_ERR', 'down');
    await expect(cipher.applyKeyEvent(rotated, [dataKey])).rejects.toMatchObject({ status: 503 });
    await expect(cipher.applyKeyEvent(keyEvent('key.restored', key), [dataKey])).rejects.toMatchObject({ status: 503 });
  });

  it('hands over the DEK rewrapped by the KMS on unwrap after a rotation', async () => {
    const rewraps: [WrappedDataKey, WrappedDataKey][] = [];
    const dataKey = await envelope().createDataKey(key);
    const newVersion = kms.rotate(key.keyId);
    await envelope({ onRewrapped: (previous, current) => void rewraps.push([previous, current]) }).encrypt(dataKey, 'x', 'a');
    expect(rewraps).toHaveLength(1);
    expect(rewraps[0]![0]).toBe(dataKey);
    expect(rewraps[0]![1]).toMatchObject({ keyVersionId: newVersion, ref: key });
  });

  it('zeroizes a DEK past its age, and the oldest when the cache is full', async () => {
    const cipher = envelope({ maxAgeMs: 60_000, maxEntries: 2 });
    const first = await cipher.createDataKey(key);
    now += 60_000;
    await cipher.encrypt(first, 'x', 'a');
    expect(deks[0]!.equals(Buffer.alloc(32))).toBe(true);
    expect(kms.requestsTo('/actions/unwrap')).toHaveLength(1);
    await cipher.createDataKey(key);
    await cipher.createDataKey(key);
    await cipher.createDataKey(key);
    expect(cipher.cachedCount).toBe(2);
    expect(deks[1]!.equals(Buffer.alloc(32))).toBe(true);
    expect(deks[3]!.equals(Buffer.alloc(32))).toBe(false);
    cipher.wipeAll();
    expect(deks[3]!.equals(Buffer.alloc(32))).toBe(true);
  });

  it('does not keep a DEK whose unwrap was under way when a disabled event arrived', async () => {
    const writer = envelope();
    const dataKey = await writer.createDataKey(key);
    const sealed = await writer.encrypt(dataKey, 'x', 'a');
    const cipher = envelope();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    kms.intercept = async (request) => {
      if (request.path.endsWith('/actions/unwrap')) await held;
      return undefined;
    };
    const reading = cipher.decrypt(dataKey, sealed, 'a');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await cipher.applyKeyEvent(keyEvent('key.disabled', key));
    release();
    await expect(reading).rejects.toMatchObject({ code: 'KMS_KEY_UNAVAILABLE_ERR' });
    expect(cipher.cachedCount).toBe(0);
  });

  it('lets the KMS decide again once a block is older than the cache age (another replica may have seen the enable)', async () => {
    const cipher = envelope({ maxAgeMs: 60_000 });
    const dataKey = await cipher.createDataKey(key);
    const sealed = await cipher.encrypt(dataKey, 'x', 'a');
    await cipher.applyKeyEvent(keyEvent('key.disabled', key));
    now += 60_000;
    await expect(cipher.decryptToString(dataKey, sealed, 'a')).resolves.toBe('x');
    kms.setState(key.keyId, 2);
    await expect(envelope().decrypt(dataKey, sealed, 'a')).rejects.toMatchObject({ code: 'KEY_ACTION_INVALID_STATE_ERR', status: 409 });
  });
});
