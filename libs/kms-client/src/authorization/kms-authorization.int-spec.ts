import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { type AuthzCheckRequest, IAM_SUBJECTS, authzCheckResponseSchema } from '@keyward/contracts';
import type { AuthzDecider } from '@keyward/platform';
import { type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, accountOfToken, connectTestNats, createSuiteContext, iamTokenFor, repoRoot } from '@keyward/testing';
import { KmsAuthorizationMissingError, assertKmsAuthorization, findMissingKmsAuthorization, kmsAuthorizationQuery } from './kms-authorization';

/**
 * The pre-flight against IAM as built (its real policy engine behind `rpc.iam.authz.check.v1`), and the
 * command it prints run as a user runs it (`keyward`, the CLI process): after it, the pre-flight passes.
 * The built IAM comes from `npx nx run iam:build`; the CLI runs its bundle or its sources.
 */
jest.setTimeout(120_000);

describe('the KMS authorization pre-flight against IAM', () => {
  let suite: SuiteContext;
  let stack: RunningStack;
  let nats: NatsConnection;
  let iamUrl: string;
  let admin: string;
  let configDir: string;

  beforeAll(async () => {
    suite = await createSuiteContext(['iam']);
    stack = await startStack({
      root: repoRoot(),
      apps: ['iam'],
      env: { PATH: process.env['PATH'], ...suite.envFor('iam') },
      ports: { iam: await findFreePort() },
    });
    iamUrl = stack.services[0]?.url as string;
    admin = await iamTokenFor(iamUrl, suite.adminApiKey);
    nats = await connectTestNats();
    configDir = mkdtempSync(join(tmpdir(), 'kms-client-preflight-'));
  });

  afterAll(async () => {
    await nats?.close();
    await stack?.stop();
    await suite?.dispose();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  /** The consumer's AuthzDecider: `rpc.iam.authz.check.v1` in Nest's NATS wire format, no cache. */
  const iam: AuthzDecider = {
    check: async (request: AuthzCheckRequest) => {
      const reply = await nats.request(`${suite.prefix}.${IAM_SUBJECTS.authzCheck}`, JSON.stringify({ pattern: IAM_SUBJECTS.authzCheck, data: request, id: `t-${Math.random()}` }), {
        timeout: 5000,
      });
      const body = JSON.parse(new TextDecoder().decode(reply.data)) as { response?: unknown; err?: unknown };
      if (body.err !== undefined) throw new Error(`IAM refused the check: ${JSON.stringify(body.err)}`);
      return authzCheckResponseSchema.parse(body.response);
    },
  };

  async function instance(service: string, plan: string): Promise<{ guid: string; crn: string; resource_group_id: string }> {
    const response = await fetch(`${iamUrl}/v2/resource_instances`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `${service}-${Math.random().toString(36).slice(2, 8)}`, service, plan, target: 'us-south' }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { guid: string; crn: string; resource_group_id: string };
  }

  function keyward(args: string[], env: Record<string, string> = {}) {
    const run = spawnSync(process.execPath, [join(repoRoot(), 'apps', 'cli', 'bin', 'keyward.js'), ...args], {
      env: { PATH: process.env['PATH'], HOME: configDir, KEYWARD_CONFIG_DIR: join(configDir, 'config'), ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  it('names the missing apprapp → kms Reader authorization, and passes once its command has run', async () => {
    const app = await instance('apprapp', 'standard');
    const kp = await instance('kms', 'standard');
    const account = accountOfToken(admin);
    const keyCrn = `${kp.crn.replace(/::$/, '')}:key:0f0e0d0c-1111-4222-8333-944445555888`;
    const query = kmsAuthorizationQuery({ sourceCrn: app.crn, keyCrn, resourceGroupId: app.resource_group_id });
    expect(query).toEqual({
      source: { serviceName: 'apprapp', accountId: account, instanceId: app.guid, resourceGroupId: app.resource_group_id },
      target: { serviceName: 'kms', accountId: account, instanceId: kp.guid },
    });

    const error = await assertKmsAuthorization(iam, query).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsAuthorizationMissingError);
    const { command } = error as KmsAuthorizationMissingError;
    expect(command).toBe(`keyward iam authorization-policy-create apprapp kms Reader --source-service-instance-id ${app.guid} --target-service-instance-id ${kp.guid}`);

    const login = keyward(['login', '--endpoint', iamUrl], { KEYWARD_APIKEY: suite.adminApiKey });
    expect(login.stderr).not.toContain('FAILED');
    expect(login.status).toBe(0);
    const created = keyward(command.split(' ').slice(1));
    expect(created.stderr).not.toContain('FAILED');
    expect(created.status).toBe(0);

    await expect(findMissingKmsAuthorization(iam, query)).resolves.toBeUndefined();
    // Only that source instance: another App Configuration instance is still refused.
    const other = await instance('apprapp', 'standard');
    const missing = await findMissingKmsAuthorization(iam, kmsAuthorizationQuery({ sourceCrn: other.crn, keyCrn }));
    expect(missing?.deniedActions).toHaveLength(5);
  });
});
