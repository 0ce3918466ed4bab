import { type NatsConnection, connect } from 'nats';
import { Client } from 'pg';
import { IAM_EVENT_SUBJECTS, STREAMS } from '@keyward/contracts';
import { SubjectNamespace } from '@keyward/platform';
import { expectEventually, readTestEnvironment } from '@keyward/testing';
import { BOOTSTRAP_ACTOR } from './bootstrap.service';
import { startIam } from '../start-iam';
import { type IamSuite, startIamSuite } from '../test-support/iam-suite';

const ADMIN_POLICY = 'Keyward administrator (bootstrap)';

/** The administrator's policy that bootstrap writes is a policy change like any other. */
describe('IAM bootstrap', () => {
  let s: IamSuite;
  let nats: NatsConnection;
  let db: Client;

  beforeAll(async () => {
    s = await startIamSuite();
    nats = await connect({ servers: readTestEnvironment().natsUrl });
    db = new Client({ connectionString: s.suite.databases.iam?.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await nats?.close();
    await s?.close();
  });

  it('audits the administrator policy and announces it on events.iam.policy.changed.v1, once', async () => {
    // (The service-owned key instances' policies are bootstrap's too: service-key-instances.int-spec.ts.)
    const policies = (await db.query("SELECT id, account_id FROM policies WHERE created_by_id = $1 AND state = 'active' AND description = $2", [BOOTSTRAP_ACTOR, ADMIN_POLICY])).rows as { id: string; account_id: string }[];
    expect(policies).toHaveLength(1);
    const [policy] = policies as [{ id: string; account_id: string }];
    await expectEventually(async () => {
      const audit = (await db.query("SELECT actor_id, outcome, detail FROM audit_records WHERE kind = 'policy.change' AND detail ? 'administratorOf'")).rows as { actor_id: string; outcome: string; detail: Record<string, unknown> }[];
      expect(audit).toEqual([{ actor_id: BOOTSTRAP_ACTOR, outcome: 'created', detail: expect.objectContaining({ policyId: policy.id, type: 'access' }) }]);
    });
    const namespace = new SubjectNamespace(s.suite.prefix);
    const jsm = await nats.jetstreamManager();
    const stream = namespace.stream(STREAMS.IAM_EVENTS.name);
    const announced: unknown[] = [];
    for (let seq = 1; seq <= (await jsm.streams.info(stream)).state.last_seq; seq++) {
      const stored = await jsm.streams.getMessage(stream, { seq });
      if (stored.subject === namespace.subject(IAM_EVENT_SUBJECTS.policyChanged)) announced.push(JSON.parse(new TextDecoder().decode(stored.data)));
    }
    expect(announced.filter((e) => (e as { policyId: string }).policyId === policy.id)).toEqual([{ policyId: policy.id, type: 'access', change: 'created', accountId: policy.account_id }]);

    // A second replica (or a restart) finds the policy and writes nothing more.
    const second = await startIam(s.suite.envFor('iam', { KEYWARD_REPLICA_ID: 'iam-second' }));
    await second.close();
    expect((await db.query('SELECT count(*) FROM policies WHERE created_by_id = $1 AND description = $2', [BOOTSTRAP_ACTOR, ADMIN_POLICY])).rows[0].count).toBe('1');
    expect((await db.query("SELECT count(*) FROM audit_records WHERE kind = 'policy.change' AND detail ? 'administratorOf'")).rows[0].count).toBe('1');
  });
});
