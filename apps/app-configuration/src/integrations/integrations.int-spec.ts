import { createDecipheriv } from 'node:crypto';
import { serviceApiKeyEnvName } from '@keyward/contracts';
import { ServiceTokenProvider } from '@keyward/platform';
import { expectEventually, iamTokenFor } from '@keyward/testing';
import { AppConfigurationPrisma } from '../database/app-configuration-prisma.service';
import { type AppConfigSuite, startAppConfigSuite } from '../testing/app-config-suite';
import { activateHpcsDomain } from '../testing/hpcs-domain';
import { SegmentProtection } from './segment-protection';

/**
 * Seed 000's connect on real Postgres, NATS, IAM, HSM and KMS (all built): Enterprise only, the
 * pre-flight naming the missing authorization, nothing written by a failed connect, and afterwards
 * segment rules only as ciphertext.
 */
jest.setTimeout(180_000);

describe('App Configuration Key Management integration', () => {
  let s: AppConfigSuite;
  let db: AppConfigurationPrisma;

  beforeAll(async () => {
    s = await startAppConfigSuite({ kms: true });
    db = new AppConfigurationPrisma(s.suite.databases['app-configuration']?.url as string);
  });

  afterAll(async () => {
    await db?.$disconnect();
    await s?.close();
  });

  const registrationsOf = async (kmsGuid: string, keyId: string) =>
    (await s.callAt(s.kmsUrl, s.admin, 'GET', `/api/v2/keys/${keyId}/registrations`, undefined, { 'bluemix-instance': kmsGuid })).body?.resources ?? [];

  it('connects an Enterprise instance to a root key and keeps segment rules only as ciphertext', async () => {
    const app = await s.instance('apprapp', 'enterprise');
    const kp = await s.instance('kms', 'standard');
    const key = await s.rootKey(kp.guid);
    const manager = await s.userWithRole('Manager', app.guid);
    const base = `/apprapp/feature/v1/instances/${app.guid}`;
    expect((await s.call(manager, 'POST', `${base}/segments`, { segment_id: 'staff', name: 'Staff', rules: [{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }] })).status).toBe(201);
    const connect = () => s.call(manager, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: key.crn });

    // No authorization yet: the pre-flight names it and the command that creates it; nothing is written.
    const missing = await connect();
    expect(missing.status).toBe(403);
    expect(missing.body.errors[0].code).toBe('KMS_AUTHORIZATION_MISSING_ERR');
    expect(missing.body.errors[0].message).toContain(`keyward iam authorization-policy-create apprapp kms Reader --source-service-instance-id ${app.guid} --target-service-instance-id ${kp.guid}`);
    expect(await registrationsOf(kp.guid, key.id)).toHaveLength(0);
    expect((await db.segment.findFirstOrThrow({ where: { instanceGuid: app.guid } })).rulesCiphertext).toBeNull();

    await s.authorize(app.guid, kp.guid);
    // A standard key cannot wrap: a 4xx, and still nothing registered or re-encrypted.
    const standard = await s.rootKey(kp.guid, { extractable: true });
    const refused = await s.call(manager, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: standard.crn });
    expect([refused.status, refused.body.errors[0].code]).toEqual([400, 'KEY_ROOT_REQ_ERR']);
    expect(refused.body.errors[0].message).toContain('refused the root key');
    expect(await registrationsOf(kp.guid, standard.id)).toHaveLength(0);
    expect(await db.kmsIntegration.count({ where: { instanceGuid: app.guid } })).toBe(0);

    const connected = await expectEventually(async () => {
      const answer = await connect();
      expect(answer.status).toBe(201);
      return answer;
    }, { timeoutMs: 15_000, intervalMs: 500 });
    expect(connected.body).toMatchObject({ integration_type: 'KMS', service: 'kms', root_key_crn: key.crn, registered_crn: app.crn, key_state: 'active' });
    expect((await s.call(manager, 'GET', `${base}/integrations`)).body).toMatchObject({ total_count: 1, integrations: [{ root_key_id: key.id }] });
    expect(await registrationsOf(kp.guid, key.id)).toEqual([expect.objectContaining({ resourceCrn: app.crn, preventKeyDeletion: false })]);

    // The table holds only ciphertext: the old segment was re-encrypted, a new one is written encrypted.
    expect((await s.call(manager, 'POST', `${base}/segments`, { segment_id: 'de', name: 'Germany', rules: [{ attribute_name: 'country', operator: 'is', values: ['Deutschland'] }] })).status).toBe(201);
    const rows = await db.segment.findMany({ where: { instanceGuid: app.guid } });
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.rules).toBeNull();
      expect(row.rulesCiphertext).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(Buffer.from(row.rulesCiphertext as string, 'base64').toString('latin1')).not.toMatch(/example\.com|Deutschland|endsWith/);
    }
    const stored = await db.kmsIntegration.findUniqueOrThrow({ where: { instanceGuid: app.guid } });
    expect(JSON.stringify(stored)).not.toMatch(/example\.com/);
    // Readers still see the rules (decrypted).
    expect((await s.call(manager, 'GET', `${base}/segments/staff`)).body.rules).toEqual([{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }]);

    // Connecting twice is a 409.
    expect((await connect()).body.errors[0].code).toBe('KMS_INTEGRATION_EXISTS_ERR');

    // The plaintext DEK (unwrapped here as App Configuration would) appears in no log line and no column.
    const tokens = new ServiceTokenProvider({ iamUrl: s.iamUrl, apiKey: s.suite.serviceApiKeys[serviceApiKeyEnvName('apprapp')] as string });
    const unwrapped = await s.callAt(s.kmsUrl, await tokens.get(), 'POST', `/api/v2/keys/${key.id}/actions/unwrap`, { ciphertext: stored.wrappedDek, aad: [app.crn] }, { 'bluemix-instance': kp.guid, 'x-keyward-source-crn': app.crn });
    expect(unwrapped.status).toBe(200);
    const dek = Buffer.from(unwrapped.body.plaintext as string, 'base64');
    expect(dek).toHaveLength(32);
    // The AAD is the instance's CRN: without it (or with another) the root key does not unwrap.
    for (const aad of [[], ['crn:v1:keyward:public:apprapp:us-south:a/x:y::']]) {
      const refused = await s.callAt(s.kmsUrl, await tokens.get(), 'POST', `/api/v2/keys/${key.id}/actions/unwrap`, { ciphertext: stored.wrappedDek, aad }, { 'bluemix-instance': kp.guid, 'x-keyward-source-crn': app.crn });
      expect([aad.length, refused.status >= 400 && refused.status < 500]).toEqual([aad.length, true]);
    }
    // Each row is AES-256-GCM under that DEK (docs: 0x01 ‖ IV ‖ ciphertext ‖ tag, AAD 0x01 ‖ `apprapp:segment:<instance>:<segment>`).
    for (const row of rows) {
      const sealed = Buffer.from(row.rulesCiphertext as string, 'base64');
      expect(sealed[0]).toBe(0x01);
      const decipher = createDecipheriv('aes-256-gcm', dek, sealed.subarray(1, 13));
      decipher.setAAD(Buffer.concat([Buffer.of(0x01), Buffer.from(`apprapp:segment:${app.guid}:${row.segmentId}`, 'utf8')]));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      const plain = Buffer.concat([decipher.update(sealed.subarray(13, sealed.length - 16)), decipher.final()]).toString('utf8');
      expect(JSON.parse(plain)).toEqual((await s.call(manager, 'GET', `${base}/segments/${row.segmentId}`)).body.rules);
    }
    const forms = [dek.toString('base64'), dek.toString('hex'), dek.toString('base64url')];
    // Every column of every table of App Configuration's database, as text.
    const tables = await db.$queryRawUnsafe<Array<{ table_name: string }>>("SELECT table_name::text AS table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    expect(tables.map((table) => table.table_name)).toEqual(expect.arrayContaining(['segments', 'kms_integrations', 'pending_unregistrations']));
    let dump = '';
    for (const { table_name } of tables) dump += JSON.stringify(await db.$queryRawUnsafe(`SELECT row_to_json(t)::text AS row FROM "${table_name}" t`));
    expect(dump).toContain(stored.wrappedDek); // the search is not blind
    const everything = s.logs.text() + dump;
    for (const form of forms) expect(everything).not.toContain(form);
  });

  it('refuses other plans with a 4xx that says Enterprise, and a Writer (not Manager) outright', async () => {
    const app = await s.instance('apprapp', 'standard');
    const kp = await s.instance('kms', 'standard');
    const key = await s.rootKey(kp.guid);
    const manager = await s.userWithRole('Manager', app.guid);
    const writer = await s.userWithRole('Writer', app.guid);
    const base = `/apprapp/feature/v1/instances/${app.guid}`;
    const plan = await s.call(manager, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: key.crn });
    expect(plan.status).toBe(403);
    expect(plan.body.errors[0]).toMatchObject({ code: 'PLAN_NOT_ENTITLED_ERR' });
    expect(plan.body.errors[0].message).toContain('Enterprise plan');
    // Lite too, even with an authorization in place; neither registers anything.
    const lite = await s.instance('apprapp', 'lite');
    await s.authorize(lite.guid, kp.guid);
    const litePlan = await s.call(await s.userWithRole('Manager', lite.guid), 'POST', `/apprapp/feature/v1/instances/${lite.guid}/integrations`, { service: 'kms', root_key_crn: key.crn });
    expect([litePlan.status, litePlan.body.errors[0].code]).toEqual([403, 'PLAN_NOT_ENTITLED_ERR']);
    expect(litePlan.body.errors[0].message).toContain('on the lite plan');
    expect(await registrationsOf(kp.guid, key.id)).toHaveLength(0);
    expect(await db.kmsIntegration.count({ where: { instanceGuid: { in: [app.guid, lite.guid] } } })).toBe(0);
    expect((await s.call(writer, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: key.crn })).body.errors[0].message).toContain('Manager role');
    const enterprise = await s.instance('apprapp', 'enterprise');
    const enterpriseManager = await s.userWithRole('Manager', enterprise.guid);
    const malformed = await s.call(enterpriseManager, 'POST', `/apprapp/feature/v1/instances/${enterprise.guid}/integrations`, { service: 'hs-crypto', root_key_crn: key.crn });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].target).toBe('root_key_crn');
  });

  const staffSegment = { segment_id: 'staff', name: 'Staff', rules: [{ attribute_name: 'email', operator: 'endsWith', values: ['@example.com'] }] };
  const connectEventually = (attempt: () => Promise<{ status: number; body: any }>) => // eslint-disable-line @typescript-eslint/no-explicit-any
    expectEventually(async () => {
      const answer = await attempt();
      expect([answer.status, answer.body?.errors?.[0]?.message]).toEqual([201, undefined]);
      return answer;
    }, { timeoutMs: 15_000, intervalMs: 500 });

  it('connects a Hyper Protect Crypto Services root key (KYOK) the same way, once its domain is active', async () => {
    const app = await s.instance('apprapp', 'enterprise');
    const hpcs = await s.instance('hs-crypto', 'standard');
    await activateHpcsDomain(s.kmsUrl, s.admin, hpcs.guid);
    const key = await s.rootKey(hpcs.guid);
    expect(key.crn).toContain(`:hs-crypto:us-south:a/${s.account}:${hpcs.guid}:key:${key.id}`);
    const manager = await s.userWithRole('Manager', app.guid);
    const base = `/apprapp/feature/v1/instances/${app.guid}`;
    expect((await s.call(manager, 'POST', `${base}/segments`, staffSegment)).status).toBe(201);
    const connect = () => s.call(manager, 'POST', `${base}/integrations`, { service: 'hs-crypto', root_key_crn: key.crn });

    // The pre-flight names the hs-crypto authorization, and a Key Protect choice with an HPCS key is a 400.
    const missing = await connect();
    expect(missing.status).toBe(403);
    expect(missing.body.errors[0].message).toContain(`keyward iam authorization-policy-create apprapp hs-crypto Reader --source-service-instance-id ${app.guid} --target-service-instance-id ${hpcs.guid}`);
    const wrongService = await s.call(manager, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: key.crn });
    expect([wrongService.status, wrongService.body.errors[0].target]).toEqual([400, 'root_key_crn']);

    await s.authorize(app.guid, hpcs.guid, { targetService: 'hs-crypto' });
    const connected = await connectEventually(connect);
    expect(connected.body).toMatchObject({ service: 'hs-crypto', service_name: 'Hyper Protect Crypto Services', kms_instance_id: hpcs.guid, root_key_crn: key.crn, registered_crn: app.crn });
    expect(await registrationsOf(hpcs.guid, key.id)).toEqual([expect.objectContaining({ resourceCrn: app.crn })]);
    const row = await db.segment.findFirstOrThrow({ where: { instanceGuid: app.guid } });
    expect([row.rules, typeof row.rulesCiphertext]).toEqual([null, 'string']);
    expect((await s.call(manager, 'GET', `${base}/segments/staff`)).body.rules).toEqual(staffSegment.rules);

    // Its lifecycle events reach App Configuration like Key Protect's.
    expect((await s.callAt(s.kmsUrl, s.admin, 'POST', `/api/v2/keys/${key.id}/actions/disable`, {}, { 'bluemix-instance': hpcs.guid })).status).toBe(204);
    await expectEventually(async () => expect((await s.call(manager, 'GET', `${base}/segments`)).body.errors?.[0]?.message).toContain('is disabled (state 2)'), { timeoutMs: 20_000, intervalMs: 250 });
    // A segment cannot be written either (it would need the data key), and nothing is stored.
    const write = await s.call(manager, 'POST', `${base}/segments`, { ...staffSegment, segment_id: 'late' });
    expect([write.status, write.body.errors[0].code]).toEqual([409, 'KMS_KEY_UNAVAILABLE_ERR']);
    expect(await db.segment.count({ where: { instanceGuid: app.guid, segmentId: 'late' } })).toBe(0);
  });

  it('connects a root key in another account when an authorization there names this instance', async () => {
    // Account B holds the App Configuration instance; the suite's account holds the Key Protect key.
    const accountB = (await s.callAt(s.iamUrl, s.admin, 'POST', '/v1/accounts', { name: `tenant-${Date.now()}` })).body.id as string;
    const adminB = await s.callAt(s.iamUrl, s.admin, 'POST', '/v1/users', { name: 'admin-b', account_id: accountB, administrator: true });
    expect(adminB.status).toBe(201);
    const keyB = await s.callAt(s.iamUrl, s.admin, 'POST', '/v1/apikeys', { name: 'admin-b-key', iam_id: adminB.body.iam_id, account_id: accountB });
    expect(keyB.status).toBe(201);
    const tokenB = await iamTokenFor(s.iamUrl, keyB.body.apikey);
    const app = await s.instance('apprapp', 'enterprise', tokenB);
    expect(app.crn).toContain(`:a/${accountB}:`);
    const kp = await s.instance('kms', 'standard');
    const key = await s.rootKey(kp.guid);
    const base = `/apprapp/feature/v1/instances/${app.guid}`;
    expect((await s.call(tokenB, 'POST', `${base}/segments`, staffSegment)).status).toBe(201);
    const connect = () => s.call(tokenB, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: key.crn });

    const missing = await connect();
    expect(missing.status).toBe(403);
    expect(missing.body.errors[0].message).toContain(`--target-service-instance-id ${kp.guid} --source-service-account ${accountB}`);
    // An authorization for this account's App Configuration does not cover account B's instance.
    await s.authorize(app.guid, kp.guid);
    expect((await connect()).body.errors[0].code).toBe('KMS_AUTHORIZATION_MISSING_ERR');
    expect(await registrationsOf(kp.guid, key.id)).toHaveLength(0);

    await s.authorize(app.guid, kp.guid, { sourceAccount: accountB });
    const connected = await connectEventually(connect);
    expect(connected.body).toMatchObject({ root_key_crn: key.crn, registered_crn: app.crn });
    expect(await registrationsOf(kp.guid, key.id)).toEqual([expect.objectContaining({ resourceCrn: app.crn })]);
    expect((await s.call(tokenB, 'GET', `${base}/segments/staff`)).body.rules).toEqual(staffSegment.rules);
  });

  it('leaves no registration, no integration and no re-encrypted segment when the connect fails half-way', async () => {
    const app = await s.instance('apprapp', 'enterprise');
    const kp = await s.instance('kms', 'standard');
    const key = await s.rootKey(kp.guid);
    await s.authorize(app.guid, kp.guid);
    const manager = await s.userWithRole('Manager', app.guid);
    const base = `/apprapp/feature/v1/instances/${app.guid}`;
    for (const id of ['a-first', 'b-second', 'c-third']) expect((await s.call(manager, 'POST', `${base}/segments`, { ...staffSegment, segment_id: id })).status).toBe(201);
    const plaintextBefore = await db.segment.findMany({ where: { instanceGuid: app.guid }, orderBy: { segmentId: 'asc' } });

    // The second segment's sealing fails after the first was re-encrypted inside the transaction and after the registration.
    const protection = s.app.app.get(SegmentProtection, { strict: false });
    const realSeal = protection.seal.bind(protection);
    let sealed = 0;
    const seal = jest.spyOn(protection, 'seal').mockImplementation(async (...args) => {
      sealed += 1;
      if (sealed === 2) throw new Error('injected failure while re-encrypting');
      return realSeal(...args);
    });
    try {
      const failed = await expectEventually(async () => {
        const answer = await s.call(manager, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: key.crn });
        expect(answer.status).toBe(500);
        return answer;
      }, { timeoutMs: 15_000, intervalMs: 500 });
      expect(failed.body.errors[0].message).not.toContain('injected');
      expect(sealed).toBe(2);
    } finally {
      seal.mockRestore();
    }
    expect(await registrationsOf(kp.guid, key.id)).toHaveLength(0);
    expect(await db.kmsIntegration.count({ where: { instanceGuid: app.guid } })).toBe(0);
    expect(await db.pendingUnregistration.count({ where: { instanceGuid: app.guid } })).toBe(0);
    expect(await db.segment.findMany({ where: { instanceGuid: app.guid }, orderBy: { segmentId: 'asc' } })).toEqual(plaintextBefore);
    expect((await s.call(manager, 'GET', `${base}/integrations`)).body.total_count).toBe(0);

    // Nothing left behind blocks a later connect.
    expect((await s.call(manager, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: key.crn })).status).toBe(201);
    expect(await db.segment.count({ where: { instanceGuid: app.guid, rulesCiphertext: null } })).toBe(0);
  });

  it('refuses a key that does not exist and a malformed CRN with a 4xx, writing nothing', async () => {
    const app = await s.instance('apprapp', 'enterprise');
    const kp = await s.instance('kms', 'standard');
    const key = await s.rootKey(kp.guid);
    await s.authorize(app.guid, kp.guid);
    const manager = await s.userWithRole('Manager', app.guid);
    const base = `/apprapp/feature/v1/instances/${app.guid}`;
    const unknownKey = key.crn.replace(key.id, '00000000-0000-4000-8000-00000000abcd');
    const unknown = await expectEventually(async () => {
      const answer = await s.call(manager, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: unknownKey });
      expect(answer.body.errors[0].code).not.toBe('KMS_AUTHORIZATION_MISSING_ERR');
      return answer;
    }, { timeoutMs: 15_000, intervalMs: 500 });
    expect([unknown.status, unknown.body.errors[0].code]).toEqual([409, 'KMS_KEY_UNAVAILABLE_ERR']);
    for (const body of [{ service: 'kms', root_key_crn: 'not-a-crn' }, { service: 'kms' }, { service: 'vault', root_key_crn: key.crn }, { service: 'kms', root_key_crn: key.crn, kms_instance_id: 'another' }]) {
      const refused = await s.call(manager, 'POST', `${base}/integrations`, body);
      expect([JSON.stringify(body), refused.status]).toEqual([JSON.stringify(body), 400]);
    }
    expect(await db.kmsIntegration.count({ where: { instanceGuid: app.guid } })).toBe(0);
    expect(await registrationsOf(kp.guid, key.id)).toHaveLength(0);
  });
});
