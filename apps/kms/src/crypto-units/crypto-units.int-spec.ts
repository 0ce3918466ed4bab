import { constants, createCipheriv, createDecipheriv, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { expectEventually } from '@keyward/testing';
import { AuditWriter } from '../audit/audit.writer';
import { KmsPrisma } from '../database/kms-prisma.service';
import { LifecycleScheduler } from '../schedulers/lifecycle.scheduler';
import { type KmsSuite, TEST_WINDOWS, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';

const PART_AAD = Buffer.from('keyward.ceremony-part.v1');

/** The custodian's side of the hybrid format of docs/HSM.md, with nothing but Node's crypto. */
function hybridDecrypt(privateKey: string, encoded: string): Buffer {
  const data = Buffer.from(encoded, 'base64');
  const rsaLength = 256; // the custodians' RSA-2048 keys
  const aesKey = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data.subarray(0, rsaLength));
  const iv = data.subarray(rsaLength, rsaLength + 12);
  const tag = data.subarray(data.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', aesKey, iv).setAAD(PART_AAD).setAuthTag(tag);
  return Buffer.concat([decipher.update(data.subarray(rsaLength + 12, data.length - 16)), decipher.final()]);
}

function hybridEncrypt(publicKey: string, plaintext: Buffer): string {
  const aesKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv).setAAD(PART_AAD);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, aesKey);
  return Buffer.concat([wrapped, iv, body, cipher.getAuthTag()]).toString('base64');
}

// An HPCS instance: its own HSM domain, sealed until its custodians load the master key through the KMS.
describe('hs-crypto instances: /crypto_v1 ceremonies relayed to the HSM, DOMAIN_SEALED_ERR while sealed', () => {
  let s: KmsSuite;
  let hpcs: { guid: string; crn: string };
  let doomedKeyId = '';
  const custodians = Array.from({ length: 2 }, (_, i) => ({
    name: `custodian-${i + 1}`,
    ...generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }),
  }));

  beforeAll(async () => {
    s = await startKmsSuite();
    hpcs = await s.instance('hs-crypto');
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const unit = (method: string, path: string, body?: unknown, token: string = s.admin) => call(s.kms.url, token, method, `/crypto_v1/instances/${hpcs.guid}${path}`, body);
  const keys = (guid: string, method: string, path: string, body?: unknown) => call(s.kms.url, s.admin, method, `/api/v2${path}`, body, { 'bluemix-instance': guid });

  // The HSM makes the domain's RSA-4096 ceremony key at the first ceremony: seconds on a busy machine.
  it('keeps keys unusable until the ceremony; unseals with the custodians’ parts; seals again', async () => {
    const sealed = await keys(hpcs.guid, 'POST', '/keys', createKeyBody({ name: 'hpcs-root' }));
    expect(sealed.status).toBe(409);
    expect(reason(sealed)).toBe('DOMAIN_SEALED_ERR');
    const before = await unit('GET', '');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ instance_id: hpcs.guid, domain: { domainId: hpcs.guid, state: 'uninitialized' } });

    const init = await unit('POST', '/ceremony/init', { threshold: 2, custodians: custodians.map((c) => ({ name: c.name, publicKey: c.publicKey })) });
    expect(init.status).toBe(200);
    const { ceremonyPublicKey, parts } = init.body as { ceremonyPublicKey: string; parts: { name: string; encryptedPart: string }[] };
    expect(parts).toHaveLength(2);
    const reencrypted = parts.map((part) => {
      const custodian = custodians.find((c) => c.name === part.name)!;
      const raw = hybridDecrypt(custodian.privateKey, part.encryptedPart);
      return { raw, forHsm: hybridEncrypt(ceremonyPublicKey, raw) };
    });

    const first = await unit('POST', '/unseal', { encryptedPart: reencrypted[0]!.forHsm });
    expect(first.status).toBe(200);
    expect(first.body.replicas[0]).toMatchObject({ state: 'sealed', submitted: 1, threshold: 2 });
    const second = await unit('POST', '/unseal', { encryptedPart: reencrypted[1]!.forHsm });
    expect(second.body.replicas[0]).toMatchObject({ state: 'active' });

    const created = await keys(hpcs.guid, 'POST', '/keys', createKeyBody({ name: 'hpcs-root' }));
    expect(created.status).toBe(201);
    const id = created.body.resources[0].id as string;
    const wrapped = await keys(hpcs.guid, 'POST', `/keys/${id}/actions/wrap`, {});
    expect(wrapped.status).toBe(200);
    // Deleted while unsealed: its automatic purge comes due while the domain is sealed (last test).
    const doomed = await keys(hpcs.guid, 'POST', '/keys', createKeyBody({ name: 'hpcs-doomed' }));
    doomedKeyId = doomed.body.resources[0].id as string;
    expect((await keys(hpcs.guid, 'DELETE', `/keys/${doomedKeyId}`)).status).toBe(204);

    expect((await unit('POST', '/seal')).status).toBe(200);
    const afterSeal = await keys(hpcs.guid, 'POST', `/keys/${id}/actions/unwrap`, { ciphertext: wrapped.body.ciphertext });
    expect(afterSeal.status).toBe(409);
    expect(reason(afterSeal)).toBe('DOMAIN_SEALED_ERR');
    // Nothing half-written: a state change the HSM could not make leaves the metadata as it was.
    const disable = await keys(hpcs.guid, 'POST', `/keys/${id}/actions/disable`, '');
    expect(reason(disable)).toBe('DOMAIN_SEALED_ERR');
    expect(reason(await keys(hpcs.guid, 'DELETE', `/keys/${id}`))).toBe('DOMAIN_SEALED_ERR');
    // The metadata stays readable: only key material lives in the domain.
    const meta = await keys(hpcs.guid, 'GET', `/keys/${id}/metadata`);
    expect(meta.status).toBe(200);
    expect(meta.body.resources[0]).toMatchObject({ state: 1, deleted: false });

    // Each refusal is audited with its reason code; nothing the KMS logged or audited carries a part.
    await s.kms.app.get(AuditWriter).flush();
    const prisma = s.kms.app.get(KmsPrisma);
    const sealedRows = await prisma.auditRecord.findMany({ where: { instanceGuid: hpcs.guid, errorCode: 'DOMAIN_SEALED_ERR' }, orderBy: { id: 'asc' } });
    expect(sealedRows.map((row) => [row.action, row.status, row.outcome])).toEqual([
      ['create', 409, 'failure'],
      ['unwrap', 409, 'failure'],
      ['disable', 409, 'failure'],
      ['delete', 409, 'failure'],
    ]);
    const audited = JSON.stringify(await prisma.auditRecord.findMany({ where: { instanceGuid: hpcs.guid } }), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(audited).toContain('domain.unseal'); // the search is not blind
    for (const { raw, forHsm } of reencrypted) {
      expect(s.logs.text()).not.toContain(raw.toString('base64'));
      expect(s.logs.text()).not.toContain(forHsm);
      expect(audited).not.toContain(raw.toString('base64'));
      expect(audited).not.toContain(forHsm);
    }
  }, 120_000);

  it('refuses ceremonies to a caller without Manager on the instance, and /crypto_v1 for a Key Protect instance', async () => {
    const apprapp = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_APPRAPP'] as string);
    expect((await unit('POST', '/seal', undefined, apprapp)).status).toBe(401);
    const kp = await s.instance('kms');
    const response = await call(s.kms.url, s.admin, 'GET', `/crypto_v1/instances/${kp.guid}`);
    expect(response.status).toBe(401);
  });

  it('lets a Reader read the domain status but run no ceremony step (Managers only)', async () => {
    const created = await call(s.iamUrl, s.admin, 'POST', '/v2/resource_instances', { name: 'appconfig-reader', service: 'apprapp', plan: 'standard', target: 'us-south' });
    expect(created.status).toBe(201);
    const appConfig = created.body as { guid: string; crn: string };
    const policy = await call(s.iamUrl, s.admin, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: s.account },
          { key: 'serviceName', operator: 'stringEquals', value: 'apprapp' },
          { key: 'serviceInstance', operator: 'stringEquals', value: appConfig.guid },
        ],
      },
      resource: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: s.account },
          { key: 'serviceName', operator: 'stringEquals', value: 'hs-crypto' },
          { key: 'serviceInstance', operator: 'stringEquals', value: hpcs.guid },
        ],
      },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
    });
    expect(policy.status).toBe(201);
    const reader = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_APPRAPP'] as string);
    const asReader = (method: string, path: string, body?: unknown) =>
      call(s.kms.url, reader, method, `/crypto_v1/instances/${hpcs.guid}${path}`, body, { 'x-keyward-source-crn': appConfig.crn });
    await expectEventually(async () => expect((await asReader('GET', '')).status).toBe(200));
    const steps: [string, unknown][] = [
      ['/ceremony/init', { threshold: 1, custodians: [{ name: 'c', publicKey: custodians[0]!.publicKey }] }],
      ['/unseal', { encryptedPart: 'AAAA' }],
      ['/rotate-master-key', { encryptedPart: 'AAAA' }],
      ['/seal', undefined],
    ];
    for (const [path, body] of steps) {
      const refused = await asReader('POST', path, body);
      expect({ path, status: refused.status, code: reason(refused) }).toEqual({ path, status: 401, code: 'UNAUTHORIZED_ERR' });
    }
  });

  it('a Key Protect instance on an HPCS domain (seed 003) needs a kms → hs-crypto Reader authorization', async () => {
    const kp = await s.instance('kms', { hpcs_instance_crn: hpcs.crn });
    const refused = await keys(kp.guid, 'GET', '/keys');
    expect(refused.status).toBe(401);
    const policy = await call(s.iamUrl, s.admin, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: s.account },
          { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
        ],
      },
      resource: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: s.account },
          { key: 'serviceName', operator: 'stringEquals', value: 'hs-crypto' },
          { key: 'serviceInstance', operator: 'stringEquals', value: hpcs.guid },
        ],
      },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
    });
    expect(policy.status).toBe(201);
    await expectEventually(async () => expect((await keys(kp.guid, 'GET', '/keys')).status).toBe(200));
    // Its keys live in the (now sealed) HPCS domain.
    expect(reason(await keys(kp.guid, 'POST', '/keys', createKeyBody({ name: 'on-hpcs' })))).toBe('DOMAIN_SEALED_ERR');
  });

  it('purges due keys of other domains while one domain is sealed; the sealed one waits', async () => {
    expect(doomedKeyId).not.toBe('');
    const kp = await s.instance('kms');
    const platformKey = await keys(kp.guid, 'POST', '/keys', createKeyBody({ name: 'platform-due' }));
    const platformKeyId = platformKey.body.resources[0].id as string;
    expect((await keys(kp.guid, 'DELETE', `/keys/${platformKeyId}`)).status).toBe(204);
    s.clock.advance(Number(TEST_WINDOWS.KEYWARD_KMS_AUTO_PURGE_MS) + 60_000);
    await s.kms.app.get(LifecycleScheduler).runOnce();
    expect((await keys(kp.guid, 'GET', `/keys/${platformKeyId}`)).status).toBe(404);
    const waiting = await keys(hpcs.guid, 'GET', `/keys/${doomedKeyId}/metadata`);
    expect(waiting.status).toBe(200);
    expect(waiting.body.resources[0]).toMatchObject({ state: 5, purgeAllowed: true });
    expect(s.logs.text()).toContain('automatic purge of a key failed');
  });
});
