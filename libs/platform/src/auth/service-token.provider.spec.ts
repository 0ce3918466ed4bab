import { ServiceTokenProvider } from './service-token.provider';

describe(ServiceTokenProvider.name, () => {
  it('renews at 80 % of the token lifetime, not before', async () => {
    let now = 0;
    let issued = 0;
    const fakeFetch = (async () => {
      issued++;
      return new Response(JSON.stringify({ access_token: `t${issued}`, expires_in: 100 }), { status: 200 });
    }) as typeof fetch;
    const provider = new ServiceTokenProvider({ iamUrl: 'http://iam', apiKey: 'k'.repeat(30), now: () => now, fetch: fakeFetch });
    expect(await provider.get()).toBe('t1');
    now = 79_000;
    expect(await provider.get()).toBe('t1');
    now = 80_000;
    expect(await provider.get()).toBe('t2');
    provider.invalidate();
    expect(await provider.get()).toBe('t3');
  });

  it('reports an unreachable IAM as unavailable, without the key', async () => {
    const provider = new ServiceTokenProvider({
      iamUrl: 'http://iam',
      apiKey: 'kw_secret-service-key-0123456789',
      fetch: (async () => {
        throw new TypeError('fetch failed: kw_secret-service-key-0123456789');
      }) as typeof fetch,
    });
    const error = (await provider.get().catch((e: unknown) => e)) as Error & { code: string; cause?: Error };
    expect(error.code).toBe('SERVICE_UNAVAILABLE_ERR');
    expect(`${error.message} ${error.cause?.message ?? ''}`).not.toContain('kw_secret');
  });
});
