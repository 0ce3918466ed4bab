import { Controller, Get, Module, Param, Post, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  type AuthenticatedCaller,
  AuthModule,
  Authorize,
  Caller,
  KeywardAuthGuard,
  type RunningService,
  ServiceTokenProvider,
  loadServiceConfig,
  startService,
} from '@keyward/platform';
import { expectEventually } from '@keyward/testing';
import { type IamSuite, accountOfToken, call, startIamSuite, tokenFor } from '../test-support/iam-suite';

/** A stand-in for another app (the KMS): its routes are guarded exactly as theirs will be. */
@Controller('demo')
@UseGuards(KeywardAuthGuard)
class DemoController {
  @Post('instances/:account/:guid/wrap')
  @Authorize('kms.secrets.wrap', (request: FastifyRequest) => {
    const params = request.params as { account: string; guid: string };
    return { serviceName: 'kms', accountId: params.account, serviceInstance: params.guid };
  })
  wrap(@Caller() caller: AuthenticatedCaller, @Param('guid') _guid: string) {
    return { subject: caller.subject, policyId: caller.policyId };
  }

  /** No @Authorize or @Authenticated: the guard must refuse it. */
  @Get('forgotten')
  forgotten() {
    return { leaked: true };
  }
}

@Module({ controllers: [DemoController] })
class DemoModule {}

describe('the platform guard in another app, against IAM over HTTP (JWKS) and NATS (decisions)', () => {
  let s: IamSuite;
  let demo: RunningService;
  let admin: string;
  let account: string;
  let kp: string;
  let cluster: { guid: string; crn: string };

  beforeAll(async () => {
    s = await startIamSuite();
    admin = await tokenFor(s.iam.url, s.suite.adminApiKey);
    account = accountOfToken(admin);
    kp = (await call(s.iam.url, admin, 'POST', '/v2/resource_instances', { name: 'kp', service: 'kms', plan: 'tiered-pricing', target: 'us-south' })).body?.['guid'] as string;
    cluster = (await call(s.iam.url, admin, 'POST', '/v2/resource_instances', { name: 'pg', service: 'hyperp-dbaas-postgresql', plan: 'standard', target: 'us-south' })).body as typeof cluster;
    const { service } = loadServiceConfig('kms', s.suite.envFor('kms'), {});
    demo = await startService({ config: service, imports: [AuthModule.forRoot({ iamUrl: s.iam.url }), DemoModule], errorFormat: 'key-protect' });
  });

  afterAll(async () => {
    await demo?.close();
    await s?.close();
  });

  const wrap = (token: string | undefined, sourceCrn?: string) =>
    call(demo.url, token, 'POST', `/demo/instances/${account}/${kp}/wrap`, {}, sourceCrn ? { 'x-keyward-source-crn': sourceCrn } : {});

  it('verifies tokens locally with IAM’s JWKS and refuses missing or bad ones', async () => {
    expect((await wrap(undefined)).status).toBe(401);
    expect((await wrap('abc.def.ghi')).status).toBe(401);
    const body = (await wrap('abc.def.ghi')).body as { resources: { reasons: { code: string }[] }[] };
    expect(body.resources[0]?.reasons[0]?.code).toBe('TOKEN_INVALID_ERR');
  });

  it('gives a service its own token (ServiceTokenProvider), shared and reused until renewal', async () => {
    const provider = new ServiceTokenProvider({ iamUrl: s.iam.url, apiKey: s.serviceKeys['kms'] as string });
    const [a, b] = await Promise.all([provider.get(), provider.get()]);
    expect(a).toBe(b);
    expect(await provider.get()).toBe(a);
    const claims = JSON.parse(Buffer.from(a.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
    expect(claims['service_name']).toBe('kms');
    const wrong = new ServiceTokenProvider({ iamUrl: s.iam.url, apiKey: 'kw_not-the-service-key-000000000000' });
    const error = await wrong.get().catch((e: unknown) => e as Error);
    expect(String((error as Error).message)).toMatch(/BXNIM0415E/);
    expect(String((error as Error).message)).not.toContain('kw_not-the-service-key');
  });

  it('refuses a route that declares no requirement, even to the administrator', async () => {
    expect((await call(demo.url, admin, 'GET', '/demo/forgotten')).status).toBe(401);
  });

  it('allows the administrator through its bootstrap policy', async () => {
    const response = await wrap(admin);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ subject: { accountId: account, iam_id: expect.stringMatching(/^IBMid-/) }, policyId: expect.any(String) });
  });

  it('resolves X-Keyward-Source-CRN, asks IAM, and follows policy changes (delegation included)', async () => {
    const dbaas = await tokenFor(s.iam.url, s.serviceKeys['hyperp-dbaas-postgresql'] as string);
    const backup = await tokenFor(s.iam.url, s.serviceKeys['hyperp-dbaas-backup'] as string);
    const apprapp = await tokenFor(s.iam.url, s.serviceKeys['apprapp'] as string);
    expect((await wrap(dbaas, cluster.crn)).status).toBe(401);
    expect((await wrap(backup, cluster.crn)).status).toBe(401);
    expect((await wrap(apprapp, cluster.crn)).status).toBe(403);

    const policy = await call(s.iam.url, admin, 'POST', '/v2/policies', {
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'hyperp-dbaas-postgresql' }, { key: 'serviceInstance', operator: 'stringEquals', value: cluster.guid }] },
      resource: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'kms' }, { key: 'serviceInstance', operator: 'stringEquals', value: kp }] },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
      delegate_dependents: true,
    });
    expect(policy.status).toBe(201);
    // The cached "deny" is dropped by events.iam.policy.changed.v1.
    await expectEventually(async () => expect((await wrap(dbaas, cluster.crn)).status).toBe(201));
    const allowed = await wrap(dbaas, cluster.crn);
    expect(allowed.body).toMatchObject({ subject: { serviceName: 'hyperp-dbaas-postgresql', serviceInstance: cluster.guid, accountId: account }, policyId: policy.body?.['id'] });
    await expectEventually(async () => expect((await wrap(backup, cluster.crn)).status).toBe(201));

    expect((await call(s.iam.url, admin, 'DELETE', `/v2/policies/${policy.body?.['id'] as string}`)).status).toBe(204);
    await expectEventually(async () => expect((await wrap(dbaas, cluster.crn)).status).toBe(401));
    await expectEventually(async () => expect((await wrap(backup, cluster.crn)).status).toBe(401));
  });
});

