import { constants, createCipheriv, createDecipheriv, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Logger } from 'pino';
import type { RunningService } from '@keyward/platform';
import { type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, accountOfToken, createCapturingLogger, createHsmDevEnv, createSuiteContext, iamTokenFor, repoRoot } from '@keyward/testing';
import { startDbaas } from '../start-dbaas';

import { type CallResult, callJson as call } from '@keyward/testing';

export { type CallResult, call };

/** The keyward error code of a DBaaS answer. */
export function errorCode(result: CallResult): string | undefined {
  return result.body?.errors?.[0]?.code;
}

const CEREMONY_PART_AAD = Buffer.from('keyward.ceremony-part.v1');

/** A custodian opening its part (docs/HSM.md hybrid format: RSA-OAEP-256 of an AES key, then AES-256-GCM). */
function openPart(privateKey: string, encoded: string): Buffer {
  const data = Buffer.from(encoded, 'base64');
  const rsaLength = 256; // RSA-2048 custodian keys
  const aesKey = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data.subarray(0, rsaLength));
  const decipher = createDecipheriv('aes-256-gcm', aesKey, data.subarray(rsaLength, rsaLength + 12)).setAAD(CEREMONY_PART_AAD).setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(rsaLength + 12, data.length - 16)), decipher.final()]);
}

/** The custodian sealing its part for the HSM's ceremony key. */
function sealPart(publicKey: string, part: Buffer): string {
  const aesKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv).setAAD(CEREMONY_PART_AAD);
  const body = Buffer.concat([cipher.update(part), cipher.final()]);
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, aesKey);
  return Buffer.concat([wrapped, iv, body, cipher.getAuthTag()]).toString('base64');
}

/** Windows of one millisecond, so disable/enable, delete/restore and purge follow each other at once. */
const KMS_WINDOWS = {
  KEYWARD_KMS_ENABLE_WAIT_MS: '1',
  KEYWARD_KMS_RESTORE_WAIT_MS: '1',
  KEYWARD_KMS_PURGE_WAIT_MS: '1',
  KEYWARD_KMS_EVENT_RELAY_INTERVAL_MS: '100',
};

export interface DbaasSuite {
  suite: SuiteContext;
  dbaas: RunningService;
  peers: RunningStack;
  iamUrl: string;
  kmsUrl: string;
  admin: string;
  account: string;
  logs: ReturnType<typeof createCapturingLogger>;
  /** A `kms` instance of the admin's account. */
  kmsInstance(): Promise<{ guid: string; crn: string }>;
  /** An `hs-crypto` (HPCS) instance of the admin's account, its master key loaded by two custodians. */
  hpcsInstance(): Promise<{ guid: string; crn: string }>;
  /** A root (or standard) key in `instance`: its id and CRN. */
  key(instance: string, options?: { extractable?: boolean }): Promise<{ id: string; crn: string }>;
  /** `hyperp-dbaas-postgresql` → kms (or hs-crypto) `instance` with Reader (and its dependents with delegation). */
  authorize(instance: string, options?: { delegate?: boolean; service?: 'kms' | 'hs-crypto' }): Promise<string>;
  kp(method: string, instance: string, path: string, body?: unknown): Promise<CallResult>;
  api(method: string, path: string, body?: unknown): Promise<CallResult>;
  /** SQL on an app's own database (what a dump would show). */
  sql<T = Record<string, unknown>>(app: 'dbaas' | 'kms', text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** IAM, the HSM and the KMS as built processes, DBaaS in-process, on this suite's databases and NATS prefix. */
export async function startDbaasSuite(extraEnv: Record<string, string> = {}): Promise<DbaasSuite> {
  const suite = await createSuiteContext(['iam', 'kms', 'hsm', 'dbaas']);
  const hsmEnv = createHsmDevEnv();
  const output: string[] = [];
  let peers: RunningStack;
  try {
    peers = await startStack({
      root: repoRoot(),
      apps: ['iam', 'hsm', 'kms'],
      env: { PATH: process.env['PATH'], ...suite.envFor('kms'), ...KMS_WINDOWS, DATABASE_URL: undefined },
      perAppEnv: (app) => ({ DATABASE_URL: suite.databases[app]?.url, ...(app === 'hsm' ? hsmEnv : {}) }),
      ports: { iam: await findFreePort(), hsm: await findFreePort(), kms: await findFreePort() },
      onOutput: (app, line) => output.push(`[${app}] ${line}`),
    });
  } catch (error) {
    await suite.dispose();
    throw new Error(`${(error as Error).message}\n${output.slice(-30).join('\n')}`);
  }
  const urlOf = (app: string) => peers.services.find((s) => s.app === app)?.url as string;
  const iamUrl = urlOf('iam');
  const kmsUrl = urlOf('kms');
  const logs = createCapturingLogger('dbaas', 'debug');
  const dbaas = await startDbaas(suite.envFor('dbaas', { KEYWARD_IAM_URL: iamUrl, KEYWARD_KMS_URL: kmsUrl, ...extraEnv }), { logger: logs.logger as Logger });
  const admin = await iamTokenFor(iamUrl, suite.adminApiKey);
  const account = accountOfToken(admin);
  const kp = (method: string, instance: string, path: string, body?: unknown) => call(kmsUrl, admin, method, `/api/v2${path}`, body, { 'bluemix-instance': instance });
  return {
    suite,
    dbaas,
    peers,
    iamUrl,
    kmsUrl,
    admin,
    account,
    logs,
    kp,
    api: (method, path, body) => call(dbaas.url, admin, method, `/api/v1${path}`, body),
    kmsInstance: async () => {
      const created = await call(iamUrl, admin, 'POST', '/v2/resource_instances', { name: `kp-${Math.random().toString(36).slice(2, 8)}`, service: 'kms', plan: 'standard', target: 'us-south' });
      if (created.status !== 201) throw new Error(`kms instance: ${created.status} ${created.text}`);
      return created.body as { guid: string; crn: string };
    },
    hpcsInstance: async () => {
      const created = await call(iamUrl, admin, 'POST', '/v2/resource_instances', { name: `hpcs-${Math.random().toString(36).slice(2, 8)}`, service: 'hs-crypto', plan: 'standard', target: 'us-south' });
      if (created.status !== 201) throw new Error(`hs-crypto instance: ${created.status} ${created.text}`);
      const guid = (created.body as { guid: string }).guid;
      const unit = (path: string, body: unknown) => call(kmsUrl, admin, 'POST', `/crypto_v1/instances/${guid}${path}`, body);
      const custodians = ['custodian-1', 'custodian-2'].map((name) => ({
        name,
        ...generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }),
      }));
      const init = await unit('/ceremony/init', { threshold: 2, custodians: custodians.map((c) => ({ name: c.name, publicKey: c.publicKey })) });
      if (init.status !== 200) throw new Error(`ceremony: ${init.status} ${init.text}`);
      const { ceremonyPublicKey, parts } = init.body as { ceremonyPublicKey: string; parts: { name: string; encryptedPart: string }[] };
      for (const part of parts) {
        const custodian = custodians.find((c) => c.name === part.name);
        if (!custodian) throw new Error(`ceremony: unknown custodian ${part.name}`);
        const unsealed = await unit('/unseal', { encryptedPart: sealPart(ceremonyPublicKey, openPart(custodian.privateKey, part.encryptedPart)) });
        if (unsealed.status !== 200) throw new Error(`unseal: ${unsealed.status} ${unsealed.text}`);
      }
      return created.body as { guid: string; crn: string };
    },
    key: async (instance, options = {}) => {
      const created = await kp('POST', instance, '/keys', {
        metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
        resources: [{ type: 'application/vnd.ibm.kms.key+json', name: `k-${Math.random().toString(36).slice(2, 8)}`, extractable: options.extractable ?? false }],
      });
      if (created.status !== 201) throw new Error(`key: ${created.status} ${created.text}`);
      return { id: created.body.resources[0].id as string, crn: created.body.resources[0].crn as string };
    },
    authorize: async (instance, options = {}) => {
      const policy = await call(iamUrl, admin, 'POST', '/v2/policies', {
        type: 'authorization',
        subject: { attributes: [{ key: 'accountId', operator: 'stringEquals', value: account }, { key: 'serviceName', operator: 'stringEquals', value: 'hyperp-dbaas-postgresql' }] },
        resource: {
          attributes: [
            { key: 'accountId', operator: 'stringEquals', value: account },
            { key: 'serviceName', operator: 'stringEquals', value: options.service ?? 'kms' },
            { key: 'serviceInstance', operator: 'stringEquals', value: instance },
          ],
        },
        control: { grant: { roles: [{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Reader' }] } },
        ...(options.delegate === false ? {} : { delegate_dependents: true }),
      });
      if (policy.status !== 201) throw new Error(`authorization: ${policy.status} ${policy.text}`);
      return policy.body.id as string;
    },
    sql: async <T>(app: 'dbaas' | 'kms', text: string, values: unknown[] = []) => {
      const client = new Client({ connectionString: suite.databases[app]?.url });
      await client.connect();
      try {
        return (await client.query(text, values)).rows as T[];
      } finally {
        await client.end();
      }
    },
    close: async () => {
      await dbaas.close();
      await peers.stop();
      await suite.dispose();
    },
  };
}
