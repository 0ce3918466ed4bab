import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from '../../cli-error';
import { runCli } from '../../program';
import { type FakeAnswer, type SeenRequest, fakeService } from '../../testing/fake-service';
import { testContext } from '../../testing/test-context';
import { clusterBody } from './dbaas.commands';

const KEY = `crn:v1:keyward:public:kms:us-south:a/${'b'.repeat(32)}:11111111-2222-4333-8444-666666666666:key:k1`;
const BACKUP_KEY = KEY.replace(':k1', ':k2');
const cluster = { id: 'c1', crn: 'crn:c1', name: 'db', region: 'us-south', plan: 'standard', kms: { serviceName: 'kms', instanceId: 'kp', keyId: 'k1', keyCrn: KEY }, backupKeyCrn: BACKUP_KEY, databases: ['clinic'], users: ['admin'], createdAt: 'now' };

describe('dbaas cluster body', () => {
  it('uses the flags, else the targeted region, else us-south; refuses unknown regions and plans', () => {
    expect(clusterBody('db', { kmsKeyCrn: KEY, backupKeyCrn: BACKUP_KEY, database: ['clinic'], user: [] }, undefined)).toEqual({ name: 'db', region: 'us-south', plan: 'standard', keyCrn: KEY, backupKeyCrn: BACKUP_KEY, databases: ['clinic'] });
    expect(clusterBody('db', { database: [], user: ['u'], plan: 'free' }, 'eu-de')).toEqual({ name: 'db', region: 'eu-de', plan: 'free', users: ['u'] });
    for (const options of [{ region: 'mars' }, { plan: 'gold' }]) {
      try {
        clusterBody('db', { database: [], user: [], ...options }, undefined);
        throw new Error('expected a usage error');
      } catch (error) {
        expect((error as CliError).exitCode).toBe(2);
      }
    }
  });
});

describe('keyward dbaas (in-process, against a stand-in DBaaS)', () => {
  let service: Awaited<ReturnType<typeof fakeService>>;
  let answer: (request: SeenRequest) => FakeAnswer;

  beforeAll(async () => {
    service = await fakeService((request) => answer(request));
  });
  afterAll(async () => {
    await service.close();
    rmSync(dirname(service.configDir), { recursive: true, force: true });
  });
  beforeEach(() => {
    service.seen.length = 0;
  });

  const run = async (args: string[]) => {
    const ctx = testContext({ KEYWARD_CONFIG_DIR: service.configDir });
    const code = await runCli(args, ctx);
    return { code, out: ctx.stdout.join('\n'), err: ctx.stderr.join('\n') };
  };

  it('creates a cluster with the root and backup keys, lists clusters and shows node key status', async () => {
    answer = (request) => {
      if (request.url === '/api/v1/clusters' && request.method === 'POST') return { status: 201, body: cluster };
      if (request.url === '/api/v1/clusters') return { status: 200, body: { clusters: [cluster] } };
      return { status: 200, body: { nodes: [{ id: 'n1', name: 'node-1', status: 'running', keyStatus: 'deleted' }] } };
    };
    const created = await run(['dbaas', 'cluster', 'create', 'db', '--kms-key-crn', KEY, '--backup-key-crn', BACKUP_KEY, '--database', 'clinic', '--user', 'admin']);
    expect(created.code).toBe(0);
    expect(service.seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/clusters', body: { name: 'db', region: 'us-south', plan: 'standard', keyCrn: KEY, backupKeyCrn: BACKUP_KEY, databases: ['clinic'], users: ['admin'] } });
    expect(created.out).toMatch(/Root key CRN:\s+crn:v1/);
    expect((await run(['dbaas', 'clusters'])).out).toMatch(/c1\s+db\s+us-south\s+standard\s+k1/);
    expect((await run(['dbaas', 'nodes', 'c1'])).out).toMatch(/node-1\s+running\s+deleted/);
  });

  it('backs up, lists backups, and restores a backup into a new cluster, finding its cluster when not given', async () => {
    answer = (request) => {
      if (request.url === '/api/v1/clusters/c1/backups' && request.method === 'POST') return { status: 201, body: { id: 'b1', clusterId: 'c1', backupKeyCrn: BACKUP_KEY, rowCount: 1, createdAt: 'now' } };
      if (request.url === '/api/v1/clusters/c1/backups') return { status: 200, body: { backups: [{ id: 'b1', clusterId: 'c1', backupKeyCrn: BACKUP_KEY, rowCount: 1, createdAt: 'now' }] } };
      if (request.url === '/api/v1/clusters') return { status: 200, body: { clusters: [cluster] } };
      return { status: 201, body: { ...cluster, id: 'c2', name: 'db2' } };
    };
    expect((await run(['dbaas', 'backup', 'c1'])).out).toContain('backup b1 (1 rows)');
    expect((await run(['dbaas', 'backups', 'c1'])).out).toMatch(/b1\s+1/);
    service.seen.length = 0;
    const restored = await run(['dbaas', 'restore', 'b1', '--name', 'db2', '--kms-key-crn', KEY]);
    expect(restored.code).toBe(0);
    expect(service.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/v1/clusters', 'GET /api/v1/clusters/c1/backups', 'POST /api/v1/clusters/c1/backups/b1/restore']);
    expect(service.seen[2]?.body).toEqual({ name: 'db2', region: 'us-south', plan: 'standard', keyCrn: KEY });
    expect(restored.out).toContain('into the new cluster db2 (c2)');
  });

  it('a backup no cluster has is exit 4; a refused read (key deleted) is exit 4 with the reason', async () => {
    answer = (request) => {
      if (request.url === '/api/v1/clusters') return { status: 200, body: { clusters: [cluster] } };
      if (request.url.endsWith('/backups')) return { status: 200, body: { backups: [] } };
      return { status: 409, body: { errors: [{ code: 'KMS_KEY_UNAVAILABLE_ERR', message: 'The root key was deleted; the key is restorable until 2030-01-01T00:00:00Z' }], trace: 't' } };
    };
    const missing = await run(['dbaas', 'restore', 'nope', '--name', 'x']);
    expect(missing.code).toBe(4);
    expect(missing.err).toContain('No cluster of yours has backup nope');
    const refused = await run(['dbaas', 'row', 'show', 'c1', 'patients', 'p1']);
    expect(refused.code).toBe(4);
    expect(refused.err).toContain('restorable until');
  });

  it('deleting without -f and no terminal is a usage error; a row without id too (nothing sent)', async () => {
    expect((await run(['dbaas', 'cluster', 'delete', 'c1'])).code).toBe(2);
    expect((await run(['dbaas', 'row', 'create', 'c1', 't', '{"name":"x"}'])).code).toBe(2);
    expect(service.seen).toHaveLength(0);
  });
});
