import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { IAM_SUBJECTS } from '@keyward/contracts';
import { expectEventually, readTestEnvironment } from '@keyward/testing';
import { KmsPrisma } from '../database/kms-prisma.service';
import { type KmsSuite, call, createKeyBody, reason, startKmsSuite, tokenFor } from '../testing/kms-suite';
import { grantServiceOnInstance } from '../testing/service-grants';

/**
 * A source instance deleted in IAM (docs/KMS.md "Removed source instances"), through real IAM (its
 * tombstone and events.iam.instance.deleted.v1), HSM, NATS and Postgres: its own service may still
 * unregister exactly its CRN; nothing else works for it, and the KMS's source-instance cache follows
 * the deletion event rather than its TTL (60 s, far longer than these waits).
 */
jest.setTimeout(180_000);

const SOON = { timeoutMs: 10_000, intervalMs: 100 };

describe('KMS calls for a removed source instance', () => {
  let s: KmsSuite;
  let kms: { guid: string; crn: string };
  let postgres: string;
  let backup: string;
  let apprapp: string;

  beforeAll(async () => {
    s = await startKmsSuite();
    kms = await s.instance('kms');
    const token = (name: string) => tokenFor(s.iamUrl, s.suite.serviceApiKeys[`KEYWARD_SERVICE_APIKEY_${name}`] as string);
    [postgres, backup, apprapp] = await Promise.all([token('HYPERP_DBAAS_POSTGRESQL'), token('HYPERP_DBAAS_BACKUP'), token('APPRAPP')]);
    await grantServiceOnInstance(s.iamUrl, s.admin, s.account, 'hyperp-dbaas-postgresql', kms.guid);
    await grantServiceOnInstance(s.iamUrl, s.admin, s.account, 'hyperp-dbaas-backup', kms.guid);
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const kp = (token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(s.kms.url, token, method, `/api/v2${path}`, body, { 'bluemix-instance': kms.guid, ...headers });
  const regPath = (keyId: string, crn: string) => `/keys/${keyId}/registrations/${encodeURIComponent(crn)}`;
  const regBody = { metadata: { collectionType: 'application/vnd.ibm.kms.registration_input+json', collectionTotal: 1 }, resources: [{ preventKeyDeletion: false }] };

  async function cluster() {
    const created = await call(s.iamUrl, s.admin, 'POST', '/v2/resource_instances', { name: `pg-${randomBytes(3).toString('hex')}`, service: 'hyperp-dbaas-postgresql', plan: 'standard', target: 'us-south' });
    expect(created.status).toBe(201);
    return created.body as { guid: string; crn: string };
  }

  async function rootKey() {
    const created = await kp(s.admin, 'POST', '/keys', createKeyBody({ name: `root-${randomBytes(3).toString('hex')}`, extractable: false }));
    expect(created.status).toBe(201);
    return created.body.resources[0] as { id: string };
  }

  /** The key's registrations as the administrator sees them. */
  const registeredCrns = async (keyId: string) => ((await kp(s.admin, 'GET', `/keys/${keyId}/registrations`)).body.resources ?? []).map((r: { resourceCrn: string }) => r.resourceCrn);

  it('lets the owner service unregister exactly the removed CRN, audited; refuses another service and every other call', async () => {
    const pg = await cluster();
    const sibling = await cluster();
    const key = await rootKey();
    const asPg = { 'x-keyward-source-crn': pg.crn };
    // Registered while alive (the authorization may take a moment to reach the KMS's decision cache).
    await expectEventually(async () => expect((await kp(postgres, 'POST', regPath(key.id, pg.crn), regBody, asPg)).status).toBe(201));
    expect((await kp(postgres, 'POST', regPath(key.id, sibling.crn), regBody, { 'x-keyward-source-crn': sibling.crn })).status).toBe(201);
    const wrapped = await kp(postgres, 'POST', `/keys/${key.id}/actions/wrap`, { plaintext: randomBytes(32).toString('base64') }, asPg);
    expect(wrapped.status).toBe(200);

    expect((await call(s.iamUrl, s.admin, 'DELETE', `/v2/resource_instances/${pg.guid}`)).status).toBe(204);
    // Every call but the cleanup is refused (the cache was warm: only the deletion event can have dropped it this soon).
    await expectEventually(async () => expect((await kp(postgres, 'POST', `/keys/${key.id}/actions/unwrap`, { ciphertext: wrapped.body.ciphertext }, asPg)).status).toBe(401), SOON);
    const refused = [
      await kp(postgres, 'POST', `/keys/${key.id}/actions/wrap`, { plaintext: randomBytes(32).toString('base64') }, asPg),
      await kp(postgres, 'GET', `/keys/${key.id}/registrations`, undefined, asPg),
      await kp(postgres, 'GET', '/keys/registrations', undefined, asPg),
      await kp(postgres, 'GET', `/keys/${key.id}/metadata`, undefined, asPg),
      await kp(postgres, 'PATCH', regPath(key.id, pg.crn), { metadata: { collectionType: 'application/vnd.ibm.kms.registration_input+json', collectionTotal: 1 }, resources: [{ description: 'x' }] }, asPg),
      await kp(postgres, 'POST', regPath(key.id, `${pg.crn.slice(0, -2)}backup:b1`), regBody, asPg),
      // The cleanup route, but for another CRN than the removed one.
      await kp(postgres, 'DELETE', regPath(key.id, sibling.crn), undefined, asPg),
      // A dependent service may act for the cluster while it lives, but is not its owner.
      await kp(backup, 'DELETE', regPath(key.id, pg.crn), undefined, asPg),
      // Another service may not name the CRN at all.
      await kp(apprapp, 'DELETE', regPath(key.id, pg.crn), undefined, asPg),
    ];
    expect(refused.map((r) => `${r.status} ${reason(r)}`)).toEqual(refused.map(() => '401 UNAUTHORIZED_ERR'));
    expect(await registeredCrns(key.id)).toEqual(expect.arrayContaining([pg.crn, sibling.crn]));

    const cleanup = await kp(postgres, 'DELETE', regPath(key.id, pg.crn), undefined, { ...asPg, 'correlation-id': 'removed-cleanup-1' });
    expect(cleanup.status).toBe(204);
    expect(await registeredCrns(key.id)).toEqual([sibling.crn]);
    // Done once: a second try is the usual "no such registration".
    expect(reason(await kp(postgres, 'DELETE', regPath(key.id, pg.crn), undefined, asPg))).toBe('REGISTRATION_NOT_FOUND_ERR');
    // The still-existing key is untouched, and the live sibling keeps working.
    expect((await kp(s.admin, 'GET', `/keys/${key.id}/metadata`)).status).toBe(200);
    expect((await kp(postgres, 'GET', `/keys/${key.id}/registrations`, undefined, { 'x-keyward-source-crn': sibling.crn })).status).toBe(200);

    const prisma = s.kms.app.get(KmsPrisma);
    await expectEventually(async () => {
      const rows = await prisma.auditRecord.findMany({ where: { correlationId: 'removed-cleanup-1' } });
      expect(rows).toEqual([expect.objectContaining({ action: 'registrations.delete', keyId: key.id, outcome: 'success', status: 204, instanceGuid: kms.guid, sourceCrn: pg.crn, iamId: expect.stringMatching(/^iam-/) })]);
    });
  });

  it('asks IAM once for a source instance, however many calls name it at once (coalesced, then cached)', async () => {
    const pg = await cluster();
    const key = await rootKey();
    const nats = await connect({ servers: readTestEnvironment().natsUrl });
    try {
      const asked: string[] = [];
      nats.subscribe(`${s.suite.prefix}.${IAM_SUBJECTS.instanceGet}`, { callback: (_error, message) => asked.push(new TextDecoder().decode(message.data)) });
      await nats.flush();
      const wrap = () => kp(postgres, 'POST', `/keys/${key.id}/actions/wrap`, { plaintext: randomBytes(32).toString('base64') }, { 'x-keyward-source-crn': pg.crn });
      const burst = await Promise.all(Array.from({ length: 40 }, wrap));
      expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200));
      for (let i = 0; i < 10; i++) expect((await wrap()).status).toBe(200);
      await nats.flush();
      expect(asked.filter((request) => request.includes(pg.guid))).toHaveLength(1);
    } finally {
      await nats.close();
    }
  });

  it('unregisters only on a key of the Bluemix-Instance named', async () => {
    const pg = await cluster();
    const other = await s.instance('kms');
    await grantServiceOnInstance(s.iamUrl, s.admin, s.account, 'hyperp-dbaas-postgresql', other.guid);
    const key = await rootKey();
    await expectEventually(async () => expect((await kp(postgres, 'POST', regPath(key.id, pg.crn), regBody, { 'x-keyward-source-crn': pg.crn })).status).toBe(201));
    expect((await call(s.iamUrl, s.admin, 'DELETE', `/v2/resource_instances/${pg.guid}`)).status).toBe(204);
    await expectEventually(async () => expect(reason(await call(s.kms.url, postgres, 'DELETE', `/api/v2${regPath(key.id, pg.crn)}`, undefined, { 'bluemix-instance': other.guid, 'x-keyward-source-crn': pg.crn }))).toBe('REGISTRATION_NOT_FOUND_ERR'), SOON);
    expect(await registeredCrns(key.id)).toEqual([pg.crn]);
    expect((await kp(postgres, 'DELETE', regPath(key.id, pg.crn), undefined, { 'x-keyward-source-crn': pg.crn })).status).toBe(204);
  });
});
