import type { AuthzCheckRequest } from '@keyward/contracts';
import type { RpcClient } from '../nats/rpc-client';
import { IamAuthzClient } from './authz-client';

const request = (i: number): AuthzCheckRequest => ({
  subject: { serviceName: 'apprapp', accountId: 'a'.repeat(32) },
  action: `kms.secrets.wrap`,
  resource: { serviceName: 'kms', accountId: 'a'.repeat(32), resource: `k${i}` },
});

/** A fake RpcClient (unit test): answers allow for even keys and counts calls. */
function fakeRpc() {
  const calls: { subject: string; payload: unknown }[] = [];
  const rpc = {
    request: async (subject: string, payload: unknown) => {
      calls.push({ subject, payload });
      const decide = (r: AuthzCheckRequest) => (Number(r.resource.resource?.slice(1)) % 2 === 0 ? { decision: 'allow', policyId: 'p' } : { decision: 'deny' });
      return Array.isArray(payload) ? payload.map((r) => decide(r as AuthzCheckRequest)) : decide(payload as AuthzCheckRequest);
    },
  };
  return { rpc: rpc as unknown as RpcClient, calls };
}

describe(IamAuthzClient.name, () => {
  it('caches a decision for at most a minute', async () => {
    const { rpc, calls } = fakeRpc();
    let now = 0;
    const client = new IamAuthzClient(rpc, undefined, undefined, () => now);
    await client.check(request(2));
    await client.check(request(2));
    expect(calls).toHaveLength(1);
    now = 60_001;
    await expect(client.check(request(2))).resolves.toEqual({ decision: 'allow', policyId: 'p' });
    expect(calls).toHaveLength(2);
  });

  it('splits a batch into chunks below the NATS message limit and keeps the order', async () => {
    const { rpc, calls } = fakeRpc();
    const client = new IamAuthzClient(rpc);
    const results = await client.checkBatch(Array.from({ length: 1203 }, (_, i) => request(i)));
    expect(calls.map((c) => (c.payload as unknown[]).length)).toEqual([500, 500, 203]);
    expect(results).toHaveLength(1203);
    expect(results[1202]).toEqual({ decision: 'allow', policyId: 'p' });
    expect(results[1201]).toEqual({ decision: 'deny' });
  });
});
