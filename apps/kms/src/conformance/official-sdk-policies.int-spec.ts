import { type IbmKeyProtectApiV2, officialSdkClient } from '../testing/official-sdk';
import { type KmsSuite, startKmsSuite } from '../testing/kms-suite';

const KEY = 'application/vnd.ibm.kms.key+json';
const POLICY = 'application/vnd.ibm.kms.policy+json';
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

interface Collection {
  metadata: { collectionType: string; collectionTotal: number };
  resources?: Record<string, unknown>[];
}

/**
 * The official Key Protect Node SDK 0.1.2, unmodified, on key policies, instance policies, the
 * allowed-IP port, dual-authorization actions and the private endpoint (KEY-PROTECT-API.md §2, §9:
 * "Key policies → 200 with 2 resources; instance policies → 204/200").
 */
describe('conformance: @ibm-cloud/ibm-key-protect 0.1.2 on policies', () => {
  let s: KmsSuite;
  const clientFor = (serviceUrl: string) =>
    officialSdkClient(s, serviceUrl);

  beforeAll(async () => {
    s = await startKmsSuite();
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  const createKey = async (client: IbmKeyProtectApiV2, bluemixInstance: string) => {
    const response = await client.createKey({
      bluemixInstance,
      body: body({ metadata: { collectionType: KEY, collectionTotal: 1 }, resources: [{ type: KEY, name: 'sdk-policies', extractable: false }] }),
    });
    expect(response.status).toBe(201);
    return (response.result as { resources: { id: string }[] }).resources[0]!.id;
  };

  it('puts and gets key policies (200, 2 resources), and sets/unsets a key for deletion (204)', async () => {
    const client = clientFor(s.kms.url);
    const bluemixInstance = (await s.instance('kms')).guid;
    const id = await createKey(client, bluemixInstance);
    const put = await client.putPolicy({
      id,
      bluemixInstance,
      setKeyPoliciesOneOf: {
        metadata: { collectionType: POLICY, collectionTotal: 2 },
        resources: [
          { type: POLICY, rotation: { interval_month: 3 } },
          { type: POLICY, dualAuthDelete: { enabled: true } },
        ],
      },
    });
    expect(put.status).toBe(200);
    expect((put.result as Collection).resources).toHaveLength(2);
    const got = await client.getPolicy({ id, bluemixInstance });
    expect(got.status).toBe(200);
    expect((got.result as Collection).metadata.collectionTotal).toBe(2);
    const rotation = await client.getPolicy({ id, bluemixInstance, policy: 'rotation' });
    expect((rotation.result as Collection).resources).toEqual([expect.objectContaining({ rotation: { enabled: true, interval_month: 3 } })]);
    expect((await client.setKeyForDeletion({ id, bluemixInstance })).status).toBe(204);
    expect((await client.unsetKeyForDeletion({ id, bluemixInstance })).status).toBe(204);
    const refused = (await client.deleteKey({ id, bluemixInstance }).catch((e: unknown) => e)) as { status: number; body: string };
    expect(refused.status).toBe(409);
    expect(String(refused.body)).toContain('AUTHORIZATIONS_NOT_MET');
    const bad = (await client
      .putPolicy({ id, bluemixInstance, policy: 'rotation', setKeyPoliciesOneOf: { metadata: { collectionType: POLICY, collectionTotal: 1 }, resources: [{ type: POLICY, rotation: { interval_month: 13 } }] } })
      .catch((e: unknown) => e)) as { status: number; body: string };
    expect(bad.status).toBe(400);
    expect(String(bad.body)).toContain('INVALID_FIELD_ERR');
  });

  it('puts instance policies (204), gets them (200, resources[0..1]) and the allowed-IP port', async () => {
    const client = clientFor(s.kms.url);
    const bluemixInstance = (await s.instance('kms')).guid;
    const put = await client.putInstancePolicy({
      bluemixInstance,
      setInstancePoliciesOneOf: {
        metadata: { collectionType: POLICY, collectionTotal: 2 },
        resources: [
          { policy_type: 'dualAuthDelete', policy_data: { enabled: false } },
          { policy_type: 'keyCreateImportAccess', policy_data: { enabled: true, attributes: { create_root_key: true, import_standard_key: false } } },
        ],
      },
    });
    expect(put.status).toBe(204);
    const got = await client.getInstancePolicy({ bluemixInstance });
    expect(got.status).toBe(200);
    const resources = (got.result as Collection).resources ?? [];
    expect(resources.map((r) => r['policy_type'])).toEqual(expect.arrayContaining(['dualAuthDelete', 'keyCreateImportAccess']));
    expect(resources[1]).toBeDefined();
    const one = await client.getInstancePolicy({ bluemixInstance, policy: 'keyCreateImportAccess' });
    expect((one.result as Collection).resources?.[0]).toMatchObject({ policy_data: { enabled: true, attributes: { import_standard_key: false } } });
    const allowed = await client.putInstancePolicy({
      bluemixInstance,
      policy: 'allowedIP',
      setInstancePoliciesOneOf: {
        metadata: { collectionType: POLICY, collectionTotal: 1 },
        resources: [{ policy_type: 'allowedIP', policy_data: { enabled: true, attributes: { allowed_ip: ['127.0.0.0/8', '::1/128'] } } }],
      },
    });
    expect(allowed.status).toBe(204);
    const port = await client.getAllowedIpPort({ bluemixInstance });
    expect(port.status).toBe(200);
    expect((port.result as Collection).resources).toEqual([{ private_endpoint_port: Number(new URL(s.kms.privateUrl).port) }]);
  });

  it('with allowedNetwork private-only, works through the private endpoint and is refused (401) on the public one', async () => {
    const publicClient = clientFor(s.kms.url);
    const privateClient = clientFor(s.kms.privateUrl);
    const bluemixInstance = (await s.instance('kms')).guid;
    const put = await publicClient.putInstancePolicy({
      bluemixInstance,
      policy: 'allowedNetwork',
      setInstancePoliciesOneOf: {
        metadata: { collectionType: POLICY, collectionTotal: 1 },
        resources: [{ policy_type: 'allowedNetwork', policy_data: { enabled: true, attributes: { allowed_network: 'private-only' } } }],
      },
    });
    expect(put.status).toBe(204);
    const refused = (await publicClient.getKeys({ bluemixInstance }).catch((e: unknown) => e)) as { status: number; body: string };
    expect(refused.status).toBe(401);
    expect(String(refused.body)).toContain('UNAUTHORIZED_ERR');
    const id = await createKey(privateClient, bluemixInstance);
    const listed = await privateClient.getKeys({ bluemixInstance });
    expect(listed.status).toBe(200);
    expect((listed.result as { resources: { id: string }[] }).resources.map((k) => k.id)).toEqual([id]);
  });
});
