import { serviceApiKeyEnvName } from '@keyward/contracts';
import { ServiceTokenProvider } from '@keyward/platform';
import { expectEventually } from '@keyward/testing';
import { AppConfigurationPrisma } from '../database/app-configuration-prisma.service';
import { type AppConfigSuite, startAppConfigSuite } from '../testing/app-config-suite';

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
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
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
    const forms = [dek.toString('base64'), dek.toString('hex'), dek.toString('base64url')];
    const everything = s.logs.text() + JSON.stringify(await db.kmsIntegration.findMany()) + JSON.stringify(await db.segment.findMany());
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
    expect((await s.call(writer, 'POST', `${base}/integrations`, { service: 'kms', root_key_crn: key.crn })).body.errors[0].message).toContain('Manager role');
    const enterprise = await s.instance('apprapp', 'enterprise');
    const enterpriseManager = await s.userWithRole('Manager', enterprise.guid);
    const malformed = await s.call(enterpriseManager, 'POST', `/apprapp/feature/v1/instances/${enterprise.guid}/integrations`, { service: 'hs-crypto', root_key_crn: key.crn });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].target).toBe('root_key_crn');
  });
});
