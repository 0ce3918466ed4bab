import { randomUUID } from 'node:crypto';
import { type IbmKeyProtectApiV2, officialSdkClient } from '../testing/official-sdk';
import { expectEventually } from '@keyward/testing';
import { type KmsSuite, call, startKmsSuite, tokenFor } from '../testing/kms-suite';
import { grantServiceOnInstance } from '../testing/service-grants';

const KEY = 'application/vnd.ibm.kms.key+json';
const REGISTRATION = 'application/vnd.ibm.kms.registration+json';
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

interface RegistrationList {
  metadata: { collectionType: string; collectionTotal: number; totalCount?: number };
  resources?: { keyId: string; resourceCrn: string; preventKeyDeletion: boolean; keyVersion: { id: string } }[];
}

/**
 * The official Key Protect Node SDK 0.1.2, unmodified, listing registrations (its integration test
 * expects 200 with `collectionTotal ≥ 0`, KEY-PROTECT-API.md §9) and deleting a registered key with
 * `force`. The registrations are made by a service (the SDK has no s2s calls).
 */
describe('conformance: @ibm-cloud/ibm-key-protect 0.1.2 registrations listing', () => {
  let s: KmsSuite;
  let client: IbmKeyProtectApiV2;
  let bluemixInstance: string;
  let schematics: string;

  beforeAll(async () => {
    s = await startKmsSuite();
    bluemixInstance = (await s.instance('kms')).guid;
    client = officialSdkClient(s);
    schematics = await tokenFor(s.iamUrl, s.suite.serviceApiKeys['KEYWARD_SERVICE_APIKEY_SCHEMATICS'] as string);
    await grantServiceOnInstance(s.iamUrl, s.admin, s.account, 'schematics', bluemixInstance);
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const workspaceCrn = (group: string) => `crn:v1:keyward:public:schematics:us-south:a/${s.account}::workspace:${group}-${randomUUID()}`;
  const register = async (keyId: string, crn: string, preventKeyDeletion: boolean) => {
    await expectEventually(async () => {
      const response = await call(s.kms.url, schematics, 'POST', `/api/v2/keys/${keyId}/registrations/${encodeURIComponent(crn)}`, { resources: [{ preventKeyDeletion }] }, { 'bluemix-instance': bluemixInstance });
      expect(response.status).toBe(201);
    });
  };
  const createKey = async (name: string) => {
    const response = await client.createKey({ bluemixInstance, body: body({ metadata: { collectionType: KEY, collectionTotal: 1 }, resources: [{ type: KEY, name, extractable: false }] }) });
    expect(response.status).toBe(201);
    return (response.result as { resources: { id: string }[] }).resources[0]!.id;
  };

  it('lists a key without registrations: 200 with collectionTotal 0', async () => {
    const id = await createKey('sdk-reg-empty');
    const response = await client.getRegistrations({ id, bluemixInstance });
    expect(response.status).toBe(200);
    expect(response.result as RegistrationList).toEqual({ metadata: { collectionType: REGISTRATION, collectionTotal: 0 }, resources: [] });
  });

  it('lists per key and across keys with the SDK query parameters (CRN query, preventKeyDeletion, limit, offset, totalCount)', async () => {
    const first = await createKey('sdk-reg-1');
    const second = await createKey('sdk-reg-2');
    const group = randomUUID().slice(0, 8);
    // Listed by creation date, then key id, then CRN (the test's clock stands still: the ids decide).
    const crns = [workspaceCrn(group), workspaceCrn(group), workspaceCrn(group)].sort();
    await register(first, crns[0] as string, false);
    await register(first, crns[1] as string, true);
    await register(second, crns[2] as string, false);

    const perKey = await client.getRegistrations({ id: first, bluemixInstance, totalCount: true });
    expect(perKey.status).toBe(200);
    const listed = perKey.result as RegistrationList;
    expect(listed.metadata).toEqual({ collectionType: REGISTRATION, collectionTotal: 2, totalCount: 2 });
    expect(listed.resources?.map((r) => r.resourceCrn)).toEqual([crns[0], crns[1]]);

    const retained = await client.getRegistrations({ id: first, bluemixInstance, preventKeyDeletion: true });
    expect((retained.result as RegistrationList).resources?.map((r) => r.resourceCrn)).toEqual([crns[1]]);

    const query = `crn:v1:keyward:public:schematics:us-south:a/${s.account}::workspace:${group}-*`;
    const all = await client.getRegistrationsAllKeys({ bluemixInstance, urlEncodedResourceCrnQuery: encodeURIComponent(query), totalCount: true, limit: 2, offset: 1 });
    expect(all.status).toBe(200);
    const page = all.result as RegistrationList;
    expect(page.metadata).toMatchObject({ collectionTotal: 2, totalCount: 3 });
    const everyOne = [[first, crns[0]], [first, crns[1]], [second, crns[2]]].sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));
    expect(page.resources?.map((r) => r.resourceCrn)).toEqual(everyOne.slice(1).map(([, crn]) => crn));

    const ring = await client.getRegistrationsAllKeys({ bluemixInstance, xKmsKeyRing: 'default', urlEncodedResourceCrnQuery: encodeURIComponent(query) });
    expect((ring.result as RegistrationList).metadata.collectionTotal).toBe(3);
    expect((await client.createKeyRing({ bluemixInstance, keyRingId: 'sdk-empty-ring' })).status).toBe(201);
    const otherRing = await client.getRegistrationsAllKeys({ bluemixInstance, xKmsKeyRing: 'sdk-empty-ring', urlEncodedResourceCrnQuery: encodeURIComponent(query) });
    expect((otherRing.result as RegistrationList).metadata.collectionTotal).toBe(0);
    // As for GET /keys: a ring that does not exist is named, not taken for an empty one.
    const unknownRing = (await client.getRegistrationsAllKeys({ bluemixInstance, xKmsKeyRing: 'no-such-ring' }).catch((e: unknown) => e)) as { status: number; body: string };
    expect(unknownRing.status).toBe(404);
    expect(unknownRing.body).toContain('KEY_RING_NOT_FOUND_ERR');
  });

  it('deleting a registered key needs force (409 without); a preventKeyDeletion registration refuses even force', async () => {
    const id = await createKey('sdk-reg-delete');
    await register(id, workspaceCrn('delete'), false);
    await expect(client.deleteKey({ id, bluemixInstance })).rejects.toMatchObject({ status: 409 });
    const forced = await client.deleteKey({ id, bluemixInstance, force: true, prefer: 'return=representation' });
    expect(forced.status).toBe(200);
    expect((forced.result as { resources: { state: number }[] }).resources[0]?.state).toBe(5);

    const kept = await createKey('sdk-reg-kept');
    await register(kept, workspaceCrn('kept'), true);
    const refused = client.deleteKey({ id: kept, bluemixInstance, force: true });
    await expect(refused).rejects.toMatchObject({ status: 409 });
    await expect(refused).rejects.toHaveProperty('body', expect.stringContaining('PREV_KEY_DEL_ERR'));
  });
});
