import { type NatsConnection, connect } from 'nats';
import { Client } from 'pg';
import { IAM_SUBJECTS, SERVICE_KEY_OWNER_PARAMETER, type ServiceInstance, findServiceKeyInstance, serviceApiKeyEnvName } from '@keyward/contracts';
import type { RunningService } from '@keyward/platform';
import { readTestEnvironment } from '@keyward/testing';
import { startIam } from '../start-iam';
import { type IamSuite, accountOfToken, call, rpc, startIamSuite, tokenFor } from '../test-support/iam-suite';

/**
 * The service-owned key instances: bootstrap gives Schematics and DBaaS one `kms` instance each, with
 * access for exactly that service (and DBaaS's backup worker) on exactly that instance; restarts and
 * replicas starting at once add nothing; nobody can forge the owner parameter.
 */
describe('IAM bootstrap: service-owned kms instances', () => {
  let s: IamSuite;
  let nats: NatsConnection;
  let db: Client;
  let account: string;
  let admin: string;
  const iamIdOf = async (service: string) => (await db.query('SELECT iam_id FROM identities WHERE service_name = $1', [service])).rows[0].iam_id as string;
  const kmsInstances = async () => (await rpc(nats, s.suite.prefix, IAM_SUBJECTS.instanceList, { service: 'kms', account_id: account })).response as ServiceInstance[];
  const decide = async (service: string, action: string, instance: string, subjectAccount = account) =>
    (
      (await rpc(nats, s.suite.prefix, IAM_SUBJECTS.authzCheck, {
        // What the KMS's guard asks for a service token (with or without a source CRN of another account).
        subject: { iam_id: await iamIdOf(service), serviceName: service, accountId: subjectAccount },
        action,
        resource: { serviceName: 'kms', accountId: account, serviceInstance: instance },
      })).response as { decision: string }
    ).decision;

  beforeAll(async () => {
    s = await startIamSuite();
    nats = await connect({ servers: readTestEnvironment().natsUrl });
    db = new Client({ connectionString: s.suite.databases.iam?.url });
    await db.connect();
    admin = await tokenFor(s.iam.url, s.suite.adminApiKey);
    account = accountOfToken(admin);
  });

  afterAll(async () => {
    await db?.end();
    await nats?.close();
    await s?.close();
  });

  it('creates one kms instance per consumer service, in the default account, visible through the registry', async () => {
    const instances = await kmsInstances();
    const schematics = findServiceKeyInstance(instances, 'schematics');
    const dbaas = findServiceKeyInstance(instances, 'hyperp-dbaas-postgresql');
    expect(schematics).toMatchObject({ name: 'keyward-schematics-keys', service: 'kms', target: 'us-south', account_id: account, state: 'active', parameters: { [SERVICE_KEY_OWNER_PARAMETER]: 'schematics' } });
    expect(dbaas).toMatchObject({ name: 'keyward-hyperp-dbaas-postgresql-keys', account_id: account, parameters: { [SERVICE_KEY_OWNER_PARAMETER]: 'hyperp-dbaas-postgresql' } });
    expect(instances).toHaveLength(2);
    // Created by the service's own identity.
    const row = (await db.query('SELECT created_by_id FROM service_instances WHERE guid = $1', [schematics?.guid])).rows[0];
    expect(row.created_by_id).toBe(await iamIdOf('schematics'));
  });

  it('grants the owner what it needs on exactly its instance, and nobody else anything', async () => {
    const instances = await kmsInstances();
    const schematics = findServiceKeyInstance(instances, 'schematics')?.guid as string;
    const dbaas = findServiceKeyInstance(instances, 'hyperp-dbaas-postgresql')?.guid as string;
    const otherAccount = 'f'.repeat(32);
    expect(await decide('schematics', 'kms.secrets.create', schematics)).toBe('allow');
    expect(await decide('schematics', 'kms.secrets.list', schematics)).toBe('allow');
    // A workspace of any account (the source CRN's account is the subject's) wraps with it.
    expect(await decide('schematics', 'kms.secrets.wrap', schematics, otherAccount)).toBe('allow');
    expect(await decide('schematics', 'kms.secrets.purge', schematics)).toBe('deny');
    expect(await decide('schematics', 'kms.secrets.wrap', dbaas)).toBe('deny');
    expect(await decide('hyperp-dbaas-postgresql', 'kms.secrets.create', dbaas)).toBe('allow');
    expect(await decide('hyperp-dbaas-postgresql', 'kms.secrets.wrap', schematics)).toBe('deny');
    expect(await decide('hyperp-dbaas-backup', 'kms.secrets.wrap', dbaas, otherAccount)).toBe('allow');
    expect(await decide('hyperp-dbaas-backup', 'kms.secrets.create', dbaas)).toBe('deny');
    expect(await decide('apprapp', 'kms.secrets.wrap', schematics)).toBe('deny');
    expect(await decide('kms', 'kms.secrets.wrap', dbaas)).toBe('deny');
    // A service still cannot create kms instances itself.
    const asSchematics = await tokenFor(s.iam.url, s.suite.serviceApiKeys[serviceApiKeyEnvName('schematics')] as string);
    const refused = await call(s.iam.url, asSchematics, 'POST', '/v2/resource_instances', { name: 'mine', service: 'kms', plan: 'standard', target: 'us-south' });
    expect(refused.status).toBe(401);
  });

  it('refuses the reserved owner parameter from the API, so the owner cannot be forged', async () => {
    const forged = await call(s.iam.url, admin, 'POST', '/v2/resource_instances', {
      name: 'keyward-schematics-keys',
      service: 'kms',
      plan: 'standard',
      target: 'us-south',
      parameters: { [SERVICE_KEY_OWNER_PARAMETER]: 'schematics' },
    });
    expect(forged.status).toBe(400);
    expect(forged.body).toMatchObject({ errorCode: 'INVALID_FIELD_ERR' });
    expect(await kmsInstances()).toHaveLength(2);
  });

  it('refuses to delete a service-owned instance, even to the administrator: its root key wraps the service data', async () => {
    const schematics = findServiceKeyInstance(await kmsInstances(), 'schematics')?.guid as string;

    const refused = await call(s.iam.url, admin, 'DELETE', `/v2/resource_instances/${schematics}`);

    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ errorCode: 'CONFLICT_ERR' });
    expect(refused.body?.errorMessage).toContain('schematics');
    expect(findServiceKeyInstance(await kmsInstances(), 'schematics')).toMatchObject({ guid: schematics, state: 'active' });
  });

  it('adds nothing on restart or when two replicas start at once', async () => {
    const before = await kmsInstances();
    const policiesBefore = (await db.query("SELECT count(*) FROM policies WHERE state = 'active'")).rows[0].count;
    const replicas: RunningService[] = await Promise.all([
      startIam(s.suite.envFor('iam', { KEYWARD_REPLICA_ID: 'iam-a' })),
      startIam(s.suite.envFor('iam', { KEYWARD_REPLICA_ID: 'iam-b' })),
    ]);
    await Promise.all(replicas.map((r) => r.close()));
    const after = await kmsInstances();
    expect(after.map((i) => i.guid).sort()).toEqual(before.map((i) => i.guid).sort());
    expect((await db.query("SELECT count(*) FROM policies WHERE state = 'active'")).rows[0].count).toBe(policiesBefore);
  });
});
