import { type NatsConnection, connect } from 'nats';
import { Client } from 'pg';
import { readTestEnvironment } from '@keyward/testing';
import { type IamSuite, accountOfToken, call, startIamSuite } from '../test-support/iam-suite';

const APIKEY_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';

/**
 * Runs a scenario that handles every kind of IAM secret (bootstrap and created API keys, access and
 * refresh tokens, a wrong key), then searches the whole IAM database, every captured log line and the
 * IAM_EVENTS stream for any of them. Only hashes may be stored.
 */
describe('IAM keeps API keys and tokens out of its database, logs and events', () => {
  let s: IamSuite;
  let nats: NatsConnection;

  beforeAll(async () => {
    s = await startIamSuite();
    nats = await connect({ servers: readTestEnvironment().natsUrl });
  });

  afterAll(async () => {
    await nats?.close();
    await s?.close();
  });

  it('stores and logs none of the secrets of a full scenario', async () => {
    const secrets: string[] = [s.suite.adminApiKey, ...Object.values(s.serviceKeys)];
    const grant = async (values: Record<string, string>, requestId: string) => {
      const response = await fetch(`${s.iam.url}/identity/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': requestId },
        body: new URLSearchParams(values).toString(),
      });
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };

    const admin = await grant({ grant_type: APIKEY_GRANT, apikey: s.suite.adminApiKey }, 'leak-1');
    secrets.push(admin.body['access_token'] as string, admin.body['refresh_token'] as string);
    const refreshed = await grant({ grant_type: 'refresh_token', refresh_token: admin.body['refresh_token'] as string }, 'leak-2');
    secrets.push(refreshed.body['access_token'] as string, refreshed.body['refresh_token'] as string);
    const replay = await grant({ grant_type: 'refresh_token', refresh_token: admin.body['refresh_token'] as string }, 'leak-3');
    expect(replay.status).toBe(400);
    expect(JSON.stringify(replay.body)).not.toContain(admin.body['refresh_token']);

    const wrongKey = 'kw_wrong-but-plausible-key-0123456789abcdefghij';
    secrets.push(wrongKey);
    const wrong = await grant({ grant_type: APIKEY_GRANT, apikey: wrongKey }, 'leak-4');
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).not.toContain(wrongKey);

    for (const key of Object.values(s.serviceKeys)) {
      const service = await grant({ grant_type: APIKEY_GRANT, apikey: key }, 'leak-5');
      secrets.push(service.body['access_token'] as string, service.body['refresh_token'] as string);
    }

    const token = refreshed.body['access_token'] as string;
    const user = await call(s.iam.url, token, 'POST', '/v1/users', { name: 'carol' });
    const created = await call(s.iam.url, token, 'POST', '/v1/apikeys', { name: 'carol-key', iam_id: user.body?.['iam_id'] });
    expect(created.status).toBe(201);
    const carolKey = created.body?.['apikey'] as string;
    secrets.push(carolKey);
    const listed = await call(s.iam.url, token, 'GET', `/v1/apikeys?iam_id=${user.body?.['iam_id'] as string}`);
    expect(JSON.stringify(listed.body)).not.toContain(carolKey);
    const carol = await grant({ grant_type: APIKEY_GRANT, apikey: carolKey }, 'leak-6');
    secrets.push(carol.body['access_token'] as string, carol.body['refresh_token'] as string);
    // A forged token (a real one with its signature cut) is refused without being echoed.
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.AAAA`;
    const refused = await call(s.iam.url, forged, 'GET', '/v1/apikeys');
    expect(refused.status).toBe(401);
    expect(JSON.stringify(refused.body)).not.toContain(token.split('.')[1]);
    const account = accountOfToken(token);
    await call(s.iam.url, token, 'POST', '/v2/policies', {
      type: 'access',
      subject: { attributes: [{ key: 'iam_id', operator: 'stringEquals', value: user.body?.['iam_id'] }] },
      resource: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'kms' }] },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
    });
    // Disabling the key ends the session its refresh token belongs to.
    expect((await call(s.iam.url, token, 'POST', `/v1/apikeys/${created.body?.['id'] as string}/disable`)).status).toBe(204);
    expect((await grant({ grant_type: 'refresh_token', refresh_token: carol.body['refresh_token'] as string }, 'leak-7')).status).toBe(400);
    expect((await grant({ grant_type: APIKEY_GRANT, apikey: carolKey }, 'leak-8')).body['errorCode']).toBe('BXNIM0415E');

    // Stop IAM first, so every audit batch and log line is written.
    await s.iam.close();

    const db = new Client({ connectionString: s.suite.databases.iam?.url });
    await db.connect();
    let dump = '';
    try {
      const tables = (await db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows as { tablename: string }[];
      expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(['api_keys', 'refresh_tokens', 'signing_keys', 'audit_records', 'policies']));
      for (const { tablename } of tables) {
        const rows = (await db.query(`SELECT row_to_json(t)::text AS row FROM "${tablename}" t`)).rows as { row: string }[];
        dump += rows.map((r) => r.row).join('\n');
      }
      // The hashes are there (so the search looked at the right data).
      expect((await db.query('SELECT count(*) FROM api_keys')).rows[0].count).not.toBe('0');
      expect((await db.query('SELECT count(*) FROM refresh_tokens')).rows[0].count).not.toBe('0');
    } finally {
      await db.end();
    }

    const events: string[] = [];
    const manager = await nats.jetstreamManager();
    const stream = `${s.suite.prefix.replace(/-/g, '_')}_IAM_EVENTS`;
    const info = await manager.streams.info(stream);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await manager.streams.getMessage(stream, { seq });
      events.push(new TextDecoder().decode(message.data));
    }
    expect(events.length).toBeGreaterThan(0);

    const logs = s.logs.text();
    expect(logs).toContain('leak-1'); // the request lines were captured
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')];
      for (const form of forms) {
        expect(dump.includes(form)).toBe(false);
        expect(logs.includes(form)).toBe(false);
        expect(events.join('\n').includes(form)).toBe(false);
      }
      // Each token's signature alone must not appear either.
      const signature = secret.split('.')[2];
      if (signature) {
        expect(dump.includes(signature)).toBe(false);
        expect(logs.includes(signature)).toBe(false);
      }
    }
  });
});
