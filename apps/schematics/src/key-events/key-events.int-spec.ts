import { Client } from 'pg';
import { expectEventually } from '@keyward/testing';
import type { RunningService } from '@keyward/platform';
import { type RootKey, type SchematicsSuite, call, startSchematicsSuite } from '../testing/schematics-suite';

// Key lifecycle events from the real KMS (outbox → JetStream) reach Schematics' durable subscriber.
describe('Schematics and key lifecycle events', () => {
  let s: SchematicsSuite;
  let app: RunningService;
  let db: Client;
  let key: RootKey;
  let workspace: { id: string; crn: string };
  const api = (method: string, path: string, body?: unknown) => call(app.url, s.admin, method, path, body);
  const keyCall = (method: string, path: string) => call(s.kmsUrl, s.admin, method, `/api/v2/keys/${key.id}${path}`, undefined, { 'bluemix-instance': key.instance });
  const dataKey = async () => (await db.query('SELECT data_keys FROM workspaces WHERE id = $1', [workspace.id])).rows[0].data_keys[0];

  beforeAll(async () => {
    s = await startSchematicsSuite();
    const instance = await s.instance();
    key = await s.rootKey(instance.guid);
    await s.grantSchematics(instance.guid);
    app = await s.startSchematics({ KEYWARD_SCHEMATICS_DEFAULT_KEY_CRN: key.crn });
    db = new Client({ connectionString: s.suite.databases.schematics?.url });
    await db.connect();
    const created = await api('POST', '/v1/workspaces', { name: 'w', location: 'us', resource_group: 'default', variables: [{ name: 'pw', value: 'hunter2-hunter2', secure: true }] });
    expect(created.status).toBe(201);
    workspace = created.body;
    expect((await api('PUT', `/v1/workspaces/${workspace.id}/state`, { state: 'tfstate-1' })).status).toBe(204);
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await s?.close();
  }, 60_000);

  it('rewraps the workspace DEK under the new version after a rotation and acknowledges the event', async () => {
    const before = await dataKey();
    expect((await keyCall('POST', '/actions/rotate')).status).toBe(204);
    await expectEventually(async () => {
      const after = await dataKey();
      expect(after.keyVersionId).not.toBe(before.keyVersionId);
      expect(after.wrappedDek).not.toBe(before.wrappedDek);
    });
    expect((await api('GET', `/v1/workspaces/${workspace.id}/state`)).body).toEqual({ state: 'tfstate-1' });
    // The KMS no longer waits for Schematics' acknowledgement.
    await expectEventually(async () => {
      const metadata = await keyCall('GET', '/metadata');
      expect(JSON.stringify(metadata.body.resources[0].pendingEventAcks ?? [])).not.toContain(workspace.crn);
    });
  });

  it('says the key is disabled, then deleted and until when it is restorable', async () => {
    expect((await keyCall('POST', '/actions/disable')).status).toBe(204);
    await expectEventually(async () => {
      const read = await api('GET', `/v1/workspaces/${workspace.id}/state`);
      expect(read.status).toBe(409);
      expect(read.body.errors[0]).toMatchObject({ code: 'KMS_KEY_UNAVAILABLE_ERR', message: expect.stringContaining(`the default root key ${key.crn} is disabled (state 2)`) });
    });
    const deleted = await call(s.kmsUrl, s.admin, 'DELETE', `/api/v2/keys/${key.id}?force=true`, undefined, { 'bluemix-instance': key.instance });
    expect(deleted.text).not.toMatch(/_ERR/);
    expect(deleted.status).toBeLessThan(300);
    await expectEventually(async () => {
      const read = await api('GET', `/v1/workspaces/${workspace.id}/variables`);
      expect(read.status).toBe(409);
      expect(read.body.errors[0].message).toMatch(/was deleted \(state 5\); it is restorable until \d{4}-\d\d-\d\dT/);
      expect(read.text).not.toContain('hunter2');
    });
  });
});
