import { expectEventually } from '@keyward/testing';
import { type KmsSuite, call, tokenFor } from './kms-suite';

/**
 * A second user of the suite's account with `role` on every Key Protect instance of the account
 * (an IAM access policy), and its token: dual authorization needs two different people.
 */
export async function userWithRole(s: KmsSuite, name: string, role: 'Reader' | 'Writer' | 'Manager'): Promise<{ iamId: string; token: string }> {
  const user = await call(s.iamUrl, s.admin, 'POST', '/v1/users', { name });
  if (user.status !== 201) throw new Error(`user creation failed: ${user.status} ${user.text}`);
  const iamId = user.body['iam_id'] as string;
  const key = await call(s.iamUrl, s.admin, 'POST', '/v1/apikeys', { name: `${name}-key`, iam_id: iamId });
  if (key.status !== 201) throw new Error(`API key creation failed: ${key.status} ${key.text}`);
  const policy = await call(s.iamUrl, s.admin, 'POST', '/v1/policies', {
    type: 'access',
    subjects: [{ attributes: [{ name: 'iam_id', value: iamId }] }],
    roles: [{ role_id: `crn:v1:bluemix:public:iam::::serviceRole:${role}` }],
    resources: [{ attributes: [{ name: 'accountId', value: s.account }, { name: 'serviceName', value: 'kms' }] }],
  });
  if (policy.status !== 201) throw new Error(`policy creation failed: ${policy.status} ${policy.text}`);
  const token = await tokenFor(s.iamUrl, key.body['apikey'] as string);
  return { iamId, token };
}

/** Waits until IAM's decision for the new policy reached the KMS (decisions are cached up to 60 s, dropped on change events). */
export async function untilAllowed(check: () => Promise<number>): Promise<void> {
  await expectEventually(async () => {
    const status = await check();
    if (status === 401) throw new Error('still refused');
  });
}
