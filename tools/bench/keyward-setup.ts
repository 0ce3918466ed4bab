import { randomBytes } from 'node:crypto';
import { ServiceTokenProvider } from '@keyward/platform';

/** What the real-path runs need: a KMS instance with a root key, and a consumer allowed to use it. */
export interface BenchSubject {
  kmsUrl: string;
  instanceId: string;
  keyId: string;
  /** Headers of a consumer call: its service token, the instance and the consumer resource's CRN. */
  consumerHeaders: Record<string, string>;
}

async function call(url: string, init: RequestInit & { token?: string; instance?: string }): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json', ...(init.headers as Record<string, string>) };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  if (init.instance) headers['bluemix-instance'] = init.instance;
  const response = await fetch(url, { ...init, headers });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${new URL(url).pathname} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** An access token for an API key: the platform's provider, as every service gets its own. */
export function iamToken(iamUrl: string, apiKey: string): Promise<string> {
  return new ServiceTokenProvider({ iamUrl, apiKey }).get();
}

function accountOf(token: string): string {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { account?: { bss?: string } };
  if (!claims.account?.bss) throw new Error('the admin token carries no account');
  return claims.account.bss;
}

/**
 * Sets up what a consumer (App Configuration, service `apprapp`) needs to wrap with a customer's
 * root key, through the public APIs only: a `kms` instance, a root key in it, an `apprapp` instance
 * as the source resource, and an authorization apprapp → kms (Reader).
 */
export async function setUpBenchSubject(options: { iamUrl: string; kmsUrl: string; adminApiKey: string; consumerApiKey: string }): Promise<BenchSubject> {
  const { iamUrl, kmsUrl } = options;
  const admin = await iamToken(iamUrl, options.adminApiKey);
  const account = accountOf(admin);
  const suffix = randomBytes(3).toString('hex');
  const instance = async (service: string, plan: string) =>
    call(`${iamUrl}/v2/resource_instances`, { method: 'POST', token: admin, body: JSON.stringify({ name: `bench-${service}-${suffix}`, service, plan, target: 'us-south' }) });
  const kms = await instance('kms', 'tiered-pricing');
  const consumer = await instance('apprapp', 'standard');
  await call(`${iamUrl}/v2/policies`, {
    method: 'POST',
    token: admin,
    body: JSON.stringify({
      type: 'authorization',
      subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'apprapp' }] },
      resource: {
        attributes: [
          { key: 'accountId', operator: 'stringEquals', value: account },
          { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
          { key: 'serviceInstance', operator: 'stringEquals', value: kms['guid'] as string },
        ],
      },
      control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
    }),
  });
  const created = await call(`${kmsUrl}/api/v2/keys`, {
    method: 'POST',
    token: admin,
    instance: kms['guid'] as string,
    headers: { prefer: 'return=representation' },
    body: JSON.stringify({
      metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
      resources: [{ type: 'application/vnd.ibm.kms.key+json', name: `bench-root-${suffix}`, extractable: false }],
    }),
  });
  const keyId = ((created['resources'] as { id: string }[] | undefined) ?? [])[0]?.id;
  if (!keyId) throw new Error('the KMS created no key');
  const consumerToken = await iamToken(iamUrl, options.consumerApiKey);
  return {
    kmsUrl,
    instanceId: kms['guid'] as string,
    keyId,
    consumerHeaders: {
      authorization: `Bearer ${consumerToken}`,
      'bluemix-instance': kms['guid'] as string,
      'x-keyward-source-crn': consumer['crn'] as string,
      'content-type': 'application/json',
      accept: 'application/json',
    },
  };
}

/** Adds more root keys to the instance (the HSM key cache is measured with many keys). */
export async function createMoreKeys(subject: BenchSubject, adminToken: string, count: number): Promise<string[]> {
  const ids: string[] = [subject.keyId];
  for (let i = 1; i < count; i++) {
    const created = await call(`${subject.kmsUrl}/api/v2/keys`, {
      method: 'POST',
      token: adminToken,
      instance: subject.instanceId,
      headers: { prefer: 'return=representation' },
      body: JSON.stringify({
        metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
        resources: [{ type: 'application/vnd.ibm.kms.key+json', name: `bench-root-${i}-${randomBytes(3).toString('hex')}`, extractable: false }],
      }),
    });
    ids.push(((created['resources'] as { id: string }[] | undefined) ?? [])[0]?.id as string);
  }
  return ids;
}

/** One wrapped DEK per key, for unwrap runs. */
export async function wrapOnce(subject: BenchSubject, keyId: string, plaintext: string): Promise<string> {
  const response = await call(`${subject.kmsUrl}/api/v2/keys/${keyId}/actions/wrap`, { method: 'POST', headers: subject.consumerHeaders, body: JSON.stringify({ plaintext }) });
  return response['ciphertext'] as string;
}
