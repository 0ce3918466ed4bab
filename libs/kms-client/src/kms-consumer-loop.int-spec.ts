import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import { type KmsKeyEvent, serviceApiKeyEnvName } from '@keyward/contracts';
import { ServiceTokenProvider, SubjectNamespace } from '@keyward/platform';
import { type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, accountOfToken, connectTestNats, createCapturingLogger, createHsmDevEnv, createSuiteContext, expectEventually, iamTokenFor, repoRoot } from '@keyward/testing';
import { EnvelopeEncryption, type WrappedDataKey } from './envelope/envelope-encryption';
import { KmsEventSubscriber, isResourceOfService } from './events/kms-event-subscriber';
import { type KeyRef, KmsClient } from './kms-client';
import { KmsClientError } from './kms-client-error';

/**
 * The whole consumer loop against the real KMS (IAM, HSM and KMS as built processes: `npx nx run-many
 * -t build --projects=tag:type:app`), real Postgres and JetStream: App Configuration's service identity
 * (`apprapp`, its own service API key) registers one of its instances with a customer's root key
 * through KmsClient, protects data with EnvelopeEncryption, and follows the key through rotate,
 * disable, enable, delete, restore and purge with KmsEventSubscriber — each event handled once,
 * `event_ack` accepted by the KMS (the key's `pendingEventAcks` empties), reads refused and allowed
 * again as DESIGN.md's consumer behaviour says, and nothing readable after the purge.
 */
jest.setTimeout(180_000);

const KMS_WINDOWS = {
  // Windows of 1 ms: the loop waits on events, not on Key Protect's 30 s / 4 h.
  KEYWARD_KMS_ENABLE_WAIT_MS: '1',
  KEYWARD_KMS_RESTORE_WAIT_MS: '1',
  KEYWARD_KMS_PURGE_WAIT_MS: '1',
  KEYWARD_KMS_EVENT_RELAY_INTERVAL_MS: '100',
};

interface Handled {
  eventId: string;
  eventType: KmsKeyEvent['eventType'];
  resourceCrn: string;
}

describe('the consumer loop against the real KMS (kms-client ↔ apps/kms)', () => {
  let suite: SuiteContext;
  let stack: RunningStack;
  let nats: NatsConnection;
  let iamUrl: string;
  let kmsUrl: string;
  let admin: string;
  const output: string[] = [];
  let subscriber: KmsEventSubscriber | undefined;

  beforeAll(async () => {
    suite = await createSuiteContext(['iam', 'hsm', 'kms']);
    const hsmEnv = createHsmDevEnv();
    stack = await startStack({
      root: repoRoot(),
      apps: ['iam', 'hsm', 'kms'],
      env: { PATH: process.env['PATH'], ...suite.envFor('kms'), DATABASE_URL: undefined, LOG_LEVEL: 'debug' },
      perAppEnv: (app) => ({ DATABASE_URL: suite.databases[app]?.url, ...(app === 'hsm' ? hsmEnv : {}), ...(app === 'kms' ? KMS_WINDOWS : {}) }),
      ports: { iam: await findFreePort(), hsm: await findFreePort(), kms: await findFreePort() },
      onOutput: (app, line) => output.push(`[${app}] ${line}`),
    });
    const url = (app: string) => stack.services.find((s) => s.app === app)?.url as string;
    iamUrl = url('iam');
    kmsUrl = url('kms');
    admin = await iamTokenFor(iamUrl, suite.adminApiKey);
    nats = await connectTestNats();
  });

  afterAll(async () => {
    await subscriber?.stop();
    await nats?.close();
    await stack?.stop();
    await suite?.dispose();
  });

  async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const response = await fetch(`${path.startsWith('/api') ? kmsUrl : iamUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function instance(service: 'kms' | 'apprapp'): Promise<{ guid: string; crn: string }> {
    const created = await api('POST', '/v2/resource_instances', { name: `${service}-${randomBytes(3).toString('hex')}`, service, plan: 'standard', target: 'us-south' });
    expect(created.status).toBe(201);
    return created.body;
  }

  /** The customer's authorization: apprapp (every instance of the account) → Reader on the KMS instance. */
  async function authorizeApprapp(kmsInstance: string): Promise<void> {
    const account = accountOfToken(admin);
    const policy = await api('POST', '/v2/policies', {
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'apprapp' }] },
      resource: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: account },
          { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
          { key: 'serviceInstance', operator: 'stringEquals', value: kmsInstance },
        ],
      },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
    });
    expect(policy.status).toBe(201);
  }

  it('registers, follows rotate/disable/enable/delete/restore/purge through events and event_ack, and loses the data with the purge', async () => {
    const kms = await instance('kms');
    const app = await instance('apprapp');
    await authorizeApprapp(kms.guid);
    const kp = (method: string, path: string, body?: unknown) => api(method, `/api/v2${path}`, body, { 'bluemix-instance': kms.guid });
    const created = await kp('POST', '/keys', {
      metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
      resources: [{ type: 'application/vnd.ibm.kms.key+json', name: 'customer-root', extractable: false }],
    });
    expect(created.status).toBe(201);
    const keyId = created.body.resources[0].id as string;
    const v1 = created.body.resources[0].keyVersion.id as string;

    // App Configuration as it runs: its service API key exchanged at IAM, one client, one envelope, one subscriber.
    const tokens = new ServiceTokenProvider({ iamUrl, apiKey: suite.serviceApiKeys[serviceApiKeyEnvName('apprapp')] as string });
    const client = new KmsClient({ kmsUrl, tokens });
    const deks: Buffer[] = [];
    const dekTexts: string[] = [];
    const envelope = new EnvelopeEncryption({ client, randomBytes: (size) => remember(deks, dekTexts, randomBytes(size)) });
    const ref: KeyRef = { instanceId: kms.guid, keyId, sourceCrn: app.crn };
    const registration = await expectEventually(() => client.register(ref, { description: 'apprapp instance data' }), { timeoutMs: 20_000, intervalMs: 250 });
    expect(registration).toMatchObject({ keyId, resourceCrn: app.crn, preventKeyDeletion: false, keyVersion: { id: v1 } });

    let dataKey: WrappedDataKey = await envelope.createDataKey(ref, { kmsAad: [app.crn] });
    expect(dataKey.keyVersionId).toBe(v1);
    const sealed = await envelope.encrypt(dataKey, 'feature-flag: on', 'flags/1');

    // Batches as the KMS answers them (an invalid item fails alone), the KMS named per call, the ring header.
    const dek = randomBytes(32).toString('base64');
    const wrappedBatch = await client.wrapBatch(ref, [{ plaintext: dek, aad: ['a'] }, { plaintext: 'not base64!' }]);
    expect(wrappedBatch).toEqual([{ ciphertext: expect.any(String), keyVersion: { id: v1 } }, { error: { code: 'INVALID_FIELD_ERR', message: expect.any(String) } }]);
    const ciphertext = (wrappedBatch[0] as { ciphertext: string }).ciphertext;
    expect(await client.unwrapBatch(ref, [{ ciphertext, aad: ['a'] }, { ciphertext, aad: ['b'] }])).toEqual([
      { plaintext: dek, keyVersion: { id: v1 } },
      { error: { code: expect.any(String), message: expect.any(String) } },
    ]);
    const elsewhere = new KmsClient({ kmsUrl: 'http://127.0.0.1:9', tokens });
    expect((await elsewhere.unwrap({ ...ref, kmsUrl }, { ciphertext, aad: ['a'] })).plaintext).toBe(dek);
    expect(await elsewhere.unwrap(ref, { ciphertext, aad: ['a'] }).catch((e: unknown) => e)).toMatchObject({ code: 'SERVICE_UNAVAILABLE_ERR', status: 503 });
    expect((await client.unwrap({ ...ref, keyRing: 'default' }, { ciphertext, aad: ['a'] })).plaintext).toBe(dek);
    expect(await client.unwrap({ ...ref, keyRing: 'no-such-ring' }, { ciphertext, aad: ['a'] }).catch((e: unknown) => e)).toMatchObject({ code: 'KEY_RING_NOT_FOUND_ERR', status: 404 });

    const handled: Handled[] = [];
    const everyReplica: string[] = [];
    const logs = createCapturingLogger('apprapp', 'debug');
    subscriber = new KmsEventSubscriber({
      connection: nats,
      namespace: new SubjectNamespace(suite.prefix),
      durableName: 'app-configuration',
      ownsResource: isResourceOfService('apprapp'),
      client,
      logger: logs.logger,
      retryDelayMs: () => 200,
      attachRetryMs: 200,
      handler: async (event, registered) => {
        handled.push({ eventId: event.eventId, eventType: event.eventType, resourceCrn: registered.resourceCrn });
        [dataKey] = (await envelope.applyKeyEvent(event, [dataKey])) as [WrappedDataKey];
        return { keyVersionId: dataKey.keyVersionId };
      },
      onEveryReplica: (event) => void everyReplica.push(event.eventId),
    });
    subscriber.start();
    await subscriber.ready();

    const pendingAcks = async () => (await kp('GET', `/keys/${keyId}/metadata`)).body.resources[0].pendingEventAcks as unknown[];
    /** The admin's change, then the event handled once for the registration and acknowledged at the KMS. */
    const change = async (eventType: KmsKeyEvent['eventType'], method: string, path: string, status: number, checkAcks = true): Promise<void> => {
      const before = handled.length;
      const response = await kp(method, path);
      expect({ status: response.status, body: response.status === status ? undefined : response.body }).toEqual({ status, body: undefined });
      await expectEventually(() => expect(handled.slice(before).map((h) => h.eventType)).toEqual([eventType]), { timeoutMs: 15_000 });
      expect(handled[before]?.resourceCrn).toBe(app.crn);
      if (checkAcks) await expectEventually(async () => expect(await pendingAcks()).toEqual([]), { timeoutMs: 10_000 });
    };
    const readRefused = async (code: string, message: RegExp) => {
      const error = await envelope.decryptToString(dataKey, sealed, 'flags/1').catch((e: unknown) => e);
      expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
    };

    // A key with a registration is deleted only with force (the customer stays in control).
    expect((await kp('DELETE', `/keys/${keyId}`)).body.resources[0].reasons[0].code).toBe('PROTECTED_RESOURCE_ERR');

    await change('key.rotated', 'POST', `/keys/${keyId}/actions/rotate`, 204);
    const v2 = (await kp('GET', `/keys/${keyId}/metadata`)).body.resources[0].keyVersion.id as string;
    expect(v2).not.toBe(v1);
    expect(dataKey.keyVersionId).toBe(v2); // rewrapped under the new version by the handler
    expect(await envelope.decryptToString(dataKey, sealed, 'flags/1')).toBe('feature-flag: on');
    // The registration can follow the resource to the new version.
    expect(await client.updateRegistration(ref, { keyVersionId: v2 })).toMatchObject({ keyVersion: { id: v2 } });

    await change('key.disabled', 'POST', `/keys/${keyId}/actions/disable`, 204);
    expect(envelope.cachedCount).toBe(0);
    await readRefused('KMS_KEY_UNAVAILABLE_ERR', /is disabled \(state 2\)/);
    // Another replica without the event: the KMS itself refuses.
    const fresh = new EnvelopeEncryption({ client });
    const refusedByKms = await fresh.decryptToString(dataKey, sealed, 'flags/1').catch((e: unknown) => e);
    expect(refusedByKms).toBeInstanceOf(KmsClientError);
    expect(refusedByKms).toMatchObject({ code: 'KEY_ACTION_INVALID_STATE_ERR', status: 409 });

    await change('key.enabled', 'POST', `/keys/${keyId}/actions/enable`, 204);
    expect(envelope.cachedCount).toBe(1); // unwrapped afresh by the handler
    expect(await envelope.decryptToString(dataKey, sealed, 'flags/1')).toBe('feature-flag: on');

    await change('key.deleted', 'DELETE', `/keys/${keyId}?force=true`, 204);
    await readRefused('KMS_KEY_UNAVAILABLE_ERR', /was deleted \(state 5\).*restorable until \d{4}-/);

    await change('key.restored', 'POST', `/keys/${keyId}/restore`, 201);
    expect(await envelope.decryptToString(dataKey, sealed, 'flags/1')).toBe('feature-flag: on');

    await change('key.deleted', 'DELETE', `/keys/${keyId}?force=true`, 204);
    // Purged: the key (and its metadata) is gone, so only the KMS's event log can show the acknowledgement.
    await change('key.purged', 'DELETE', `/keys/${keyId}/purge`, 204, false);
    await readRefused('KMS_KEY_PURGED_ERR', /unrecoverable/);
    const afterPurge = await fresh.decryptToString(dataKey, sealed, 'flags/1').catch((e: unknown) => e);
    expect(afterPurge).toBeInstanceOf(KmsClientError);
    expect(afterPurge).toMatchObject({ code: 'KEY_NOT_FOUND_ERR', status: 404 });
    expect(await client.unregister(ref)).toBe(false);

    // Each event once, for the one registration; every replica saw each event; no ack was refused or retried.
    expect(handled.map((h) => h.eventType)).toEqual(['key.rotated', 'key.disabled', 'key.enabled', 'key.deleted', 'key.restored', 'key.deleted', 'key.purged']);
    expect(new Set(handled.map((h) => h.eventId)).size).toBe(7);
    await expectEventually(() => expect(everyReplica).toEqual(handled.map((h) => h.eventId)));
    const acked = logs.lines.filter((line) => line.includes('KMS event handled and acknowledged'));
    expect(acked).toHaveLength(7);
    expect(logs.lines.filter((line) => /"level":(40|50)/.test(line))).toEqual([]);
    // Every acknowledgement reached the KMS, the purged event's too (the key's metadata is gone: its event log says).
    expect(await ackRows(keyId)).toEqual(handled.map((h) => ({ event_id: h.eventId, resource_crn: app.crn, acked: true, by_version: expect.any(String) })));

    await subscriber.stop();
    envelope.wipeAll();
    expect(deks.every((dek) => dek.every((byte) => byte === 0))).toBe(true); // zeroized, not just dropped

    // No DEK in any log line of the KMS, the HSM, IAM or the consumer, in any encoding.
    const everything = [...output, ...logs.lines].join('\n');
    expect(dekTexts.length).toBeGreaterThan(0);
    for (const text of dekTexts) expect(everything).not.toContain(text);
  });

  it('a consumer that was away while the key was rotated, deleted and purged gets through every event: a rotation it can no longer apply does not hold the stream', async () => {
    const kms = await instance('kms');
    const app = await instance('apprapp');
    await authorizeApprapp(kms.guid);
    const kp = (method: string, path: string, body?: unknown) => api(method, `/api/v2${path}`, body, { 'bluemix-instance': kms.guid });
    const created = await kp('POST', '/keys', {
      metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
      resources: [{ type: 'application/vnd.ibm.kms.key+json', name: 'gone-while-away', extractable: false }],
    });
    const keyId = created.body.resources[0].id as string;
    const tokens = new ServiceTokenProvider({ iamUrl, apiKey: suite.serviceApiKeys[serviceApiKeyEnvName('apprapp')] as string });
    const client = new KmsClient({ kmsUrl, tokens });
    const envelope = new EnvelopeEncryption({ client });
    const ref: KeyRef = { instanceId: kms.guid, keyId, sourceCrn: app.crn };
    await expectEventually(() => client.register(ref), { timeoutMs: 20_000, intervalMs: 250 });
    let dataKey = await envelope.createDataKey(ref);
    const sealed = await envelope.encrypt(dataKey, 'kept until purged', 'row');

    // While the consumer is down: rotated, deleted, purged.
    for (const [method, path, expected] of [['POST', `/keys/${keyId}/actions/rotate`, 204], ['DELETE', `/keys/${keyId}?force=true`, 204], ['DELETE', `/keys/${keyId}/purge`, 204]] as const) {
      expect((await kp(method, path)).status).toBe(expected);
    }

    const seen: string[] = [];
    const logs = createCapturingLogger('apprapp', 'debug');
    subscriber = new KmsEventSubscriber({
      connection: nats,
      namespace: new SubjectNamespace(suite.prefix),
      durableName: 'app-configuration-late',
      ownsResource: isResourceOfService('apprapp'),
      client,
      logger: logs.logger,
      retryDelayMs: () => 200,
      attachRetryMs: 200,
      // The event's newKeyVersionId is acknowledged (the default): the rotation was not applied, but handled.
      handler: async (event) => {
        if (event.keyId !== keyId) return;
        seen.push(event.eventType);
        [dataKey] = (await envelope.applyKeyEvent(event, [dataKey])) as [WrappedDataKey];
      },
    });
    subscriber.start();
    await expectEventually(() => expect(seen).toEqual(['key.rotated', 'key.deleted', 'key.purged']), { timeoutMs: 20_000, intervalMs: 100 });
    expect(await envelope.decryptToString(dataKey, sealed, 'row').catch((e: unknown) => e)).toMatchObject({ code: 'KMS_KEY_PURGED_ERR' });
    expect(logs.lines.filter((line) => /"level":(40|50)/.test(line))).toEqual([]);
    await expectEventually(async () => expect((await ackRows(keyId)).every((row: { acked: boolean }) => row.acked)).toBe(true));
    await subscriber.stop();
  });

  async function ackRows(keyId: string) {
    const db = new Client({ connectionString: suite.databases.kms?.url });
    await db.connect();
    try {
      const rows = await db.query('SELECT event_id, resource_crn, acked_at IS NOT NULL AS acked, key_version_id AS by_version FROM key_event_acks WHERE key_id = $1 ORDER BY created_at, event_id', [keyId]);
      return rows.rows;
    } finally {
      await db.end();
    }
  }
});

/** Keeps the DEK (to check it is zeroized later) and its encodings (to search the logs for). */
function remember(deks: Buffer[], texts: string[], dek: Buffer): Buffer {
  deks.push(dek);
  texts.push(dek.toString('hex'), dek.toString('base64'), dek.toString('base64url'));
  return dek;
}
