import { Controller, Module, Post, UseGuards } from '@nestjs/common';
import { decodeProtectedHeader } from 'jose';
import { type AuthenticatedCaller, AuthModule, Authenticated, Caller, KeywardAuthGuard, type RunningService, loadServiceConfig, startService } from '@keyward/platform';
import { startIam } from '../start-iam';
import { type IamSuite, call, startIamSuite, tokenFor } from '../test-support/iam-suite';
import { ManualClock } from '../test-support/manual-clock';

/** A stand-in for another app: a route behind the platform guard that only needs a valid token. */
@Controller('demo')
@UseGuards(KeywardAuthGuard)
class WhoAmIController {
  @Post('whoami')
  @Authenticated()
  whoami(@Caller() caller: AuthenticatedCaller) {
    return { iamId: caller.principal.iamId };
  }
}

@Module({ controllers: [WhoAmIController] })
class WhoAmIModule {}

/**
 * Tokens stay verifiable in other apps across IAM's key changes: a rotation signs with a key published
 * a whole period earlier (so even a verifier that never refetches has it), and a replica that starts
 * with a new key is verified at once (the verifier refetches for an unknown kid instead of refusing).
 */
describe('signing keys change without breaking tokens behind the platform guard', () => {
  const ROTATION_MS = 24 * 3600 * 1000;
  const clock = new ManualClock();
  let s: IamSuite;
  let second: RunningService | undefined;
  /** Refetches the JWKS for an unknown kid at most every 10 minutes: only pre-published keys pass. */
  let rarelyRefetching: RunningService;
  /** The production settings. */
  let standard: RunningService;

  const startDemo = (jwks?: { minRefetchIntervalMs: number }) => {
    const { service } = loadServiceConfig('kms', s.suite.envFor('kms'), {});
    return startService({ config: service, imports: [AuthModule.forRoot({ iamUrl: s.iam.url, ...(jwks ? { jwks } : {}) }), WhoAmIModule], errorFormat: 'key-protect' });
  };
  const whoami = (app: RunningService, token: string) => call(app.url, token, 'POST', '/demo/whoami', {});

  beforeAll(async () => {
    s = await startIamSuite({ KEYWARD_IAM_SIGNING_KEY_ROTATION_MS: String(ROTATION_MS) }, { clock });
    rarelyRefetching = await startDemo({ minRefetchIntervalMs: 600_000 });
    standard = await startDemo();
  });

  afterAll(async () => {
    await second?.close();
    await rarelyRefetching?.close();
    await standard?.close();
    await s?.close();
  });

  it('accepts the first token signed after a rotation at once, in an app that fetched the JWKS just before', async () => {
    const before = await tokenFor(s.iam.url, s.suite.adminApiKey);
    expect((await whoami(rarelyRefetching, before)).status).toBe(201);
    expect((await whoami(standard, before)).status).toBe(201);

    clock.advance(ROTATION_MS + 1000);
    const after = await tokenFor(s.iam.url, s.suite.adminApiKey);
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    expect((await whoami(rarelyRefetching, after)).status).toBe(201);
    expect((await whoami(standard, after)).status).toBe(201);
    // Tokens of the previous key are still in flight and still accepted.
    expect((await whoami(rarelyRefetching, before)).status).toBe(201);
  });

  it('accepts a token from a replica that just started with a new key', async () => {
    second = await startIam(s.suite.envFor('iam', { KEYWARD_REPLICA_ID: 'iam-second', KEYWARD_IAM_SIGNING_KEY_ROTATION_MS: String(ROTATION_MS) }), { clock });
    const fresh = await tokenFor(second.url, s.suite.adminApiKey);
    const response = await whoami(standard, fresh);
    expect(response.status).toBe(201);
    expect(response.body?.['iamId']).toMatch(/^IBMid-/);
  });
});
