import { constants, createCipheriv, createDecipheriv, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { type LaunchedService, type RunningStack, findFreePort, startStack } from '@keyward/stack';
import { type SuiteContext, accountOfToken, createCapturingLogger, createHsmDevEnv, createSuiteContext, iamTokenFor, repoRoot } from '@keyward/testing';
import type { RunningService } from '@keyward/platform';
import { startSchematics } from '../start-schematics';

import { type CallResult, callJson as call } from '@keyward/testing';

export { type CallResult, call };

export interface RootKey {
  instance: string;
  id: string;
  crn: string;
}

export interface SchematicsSuite {
  suite: SuiteContext;
  peers: RunningStack;
  iamUrl: string;
  kmsUrl: string;
  admin: string;
  account: string;
  logs: ReturnType<typeof createCapturingLogger>;
  peerLines: string[];
  peer(app: 'iam' | 'hsm' | 'kms'): LaunchedService;
  /** A `kms` (or `hs-crypto`) instance in IAM, created by the admin. */
  instance(service?: 'kms' | 'hs-crypto', target?: string): Promise<{ guid: string; crn: string }>;
  /**
   * A Hyper Protect Crypto Services instance (KYOK) whose key ceremony is done: one custodian loads the
   * master key through the KMS's /crypto_v1 (as in apps/kms crypto-units.int-spec), so keys can be made.
   */
  hpcsInstance(target?: string): Promise<{ guid: string; crn: string }>;
  /** A root key (or standard key, `extractable`) in `instance`. */
  rootKey(instance: string, options?: { extractable?: boolean }): Promise<RootKey>;
  /** IAM authorization `schematics` → the KMS instance (`kms`, or `hs-crypto` for HPCS) with `role`. */
  grantSchematics(instance: string, role?: string, service?: 'kms' | 'hs-crypto'): Promise<void>;
  /** Starts Schematics in-process (after the keys it needs exist). */
  startSchematics(extraEnv?: Record<string, string>): Promise<RunningService>;
  close(): Promise<void>;
}

/** IAM, the HSM and the KMS as their built processes; Schematics in-process, on this suite's databases and NATS prefix. */
export async function startSchematicsSuite(): Promise<SchematicsSuite> {
  const suite = await createSuiteContext(['iam', 'hsm', 'kms', 'schematics']);
  const hsmEnv = createHsmDevEnv();
  const peerLines: string[] = [];
  const peers = await startStack({
    root: repoRoot(),
    apps: ['iam', 'hsm', 'kms'],
    env: { PATH: process.env['PATH'] },
    perAppEnv: (app) => ({ ...suite.envFor(app), ...(app === 'hsm' ? hsmEnv : {}) }),
    ports: { iam: await findFreePort(), hsm: await findFreePort(), kms: await findFreePort() },
    onOutput: (_app, line) => peerLines.push(line),
  });
  const peer = (app: 'iam' | 'hsm' | 'kms') => {
    const found = peers.services.find((s) => s.app === app);
    if (!found) throw new Error(`${app} did not start`);
    return found;
  };
  const iamUrl = peer('iam').url;
  const kmsUrl = peer('kms').url;
  const admin = await iamTokenFor(iamUrl, suite.adminApiKey);
  const account = accountOfToken(admin);
  const logs = createCapturingLogger('schematics', 'debug');
  const started: RunningService[] = [];
  return {
    suite,
    peers,
    iamUrl,
    kmsUrl,
    admin,
    account,
    logs,
    peerLines,
    peer,
    instance: async (service = 'kms', target = 'us-south') => {
      const response = await call(iamUrl, admin, 'POST', '/v2/resource_instances', { name: `${service}-${Math.random().toString(36).slice(2, 8)}`, service, plan: 'standard', target });
      if (response.status !== 201) throw new Error(`instance creation failed: ${response.status} ${response.text}`);
      return response.body as { guid: string; crn: string };
    },
    hpcsInstance: async (target = 'us-south') => {
      const response = await call(iamUrl, admin, 'POST', '/v2/resource_instances', { name: `hpcs-${Math.random().toString(36).slice(2, 8)}`, service: 'hs-crypto', plan: 'standard', target });
      if (response.status !== 201) throw new Error(`HPCS instance creation failed: ${response.status} ${response.text}`);
      const hpcs = response.body as { guid: string; crn: string };
      await runCeremony(kmsUrl, admin, hpcs.guid);
      return hpcs;
    },
    rootKey: async (instance, options = {}) => {
      const response = await call(
        kmsUrl,
        admin,
        'POST',
        '/api/v2/keys',
        {
          metadata: { collectionType: 'application/vnd.ibm.kms.key+json', collectionTotal: 1 },
          resources: [{ type: 'application/vnd.ibm.kms.key+json', name: `k-${Math.random().toString(36).slice(2, 8)}`, extractable: options.extractable ?? false }],
        },
        { 'bluemix-instance': instance },
      );
      if (response.status !== 201) throw new Error(`key creation failed: ${response.status} ${response.text}`);
      const key = response.body.resources[0] as { id: string; crn: string };
      return { instance, id: key.id, crn: key.crn };
    },
    grantSchematics: async (instance, role = 'Reader', service = 'kms') => {
      const policy = await call(iamUrl, admin, 'POST', '/v2/policies', {
        type: 'authorization',
        subject: {
          attributes: [
            { key: 'accountId', operator: 'stringEquals', value: account },
            { key: 'serviceName', operator: 'stringEquals', value: 'schematics' },
          ],
        },
        resource: {
          attributes: [
            { key: 'accountId', operator: 'stringEquals', value: account },
            { key: 'serviceName', operator: 'stringEquals', value: service },
            { key: 'serviceInstance', operator: 'stringEquals', value: instance },
          ],
        },
        control: { grant: { roles: [{ role_id: `crn:v1:bluemix:public:iam::::serviceRole:${role}` }] } },
      });
      if (policy.status !== 201) throw new Error(`authorization not created: ${policy.status} ${policy.text}`);
    },
    startSchematics: async (extraEnv = {}) => {
      const app = await startSchematics(suite.envFor('schematics', { KEYWARD_IAM_URL: iamUrl, KEYWARD_KMS_URL: kmsUrl, ...extraEnv }), { logger: logs.logger as Logger });
      started.push(app);
      return app;
    },
    close: async () => {
      await Promise.all(started.map((app) => app.close()));
      await peers.stop();
      await suite.dispose();
    },
  };
}

const PART_AAD = Buffer.from('keyward.ceremony-part.v1');

/** The custodian's side of docs/HSM.md's hybrid format (RSA-OAEP-256 ‖ AES-256-GCM), Node's crypto only. */
function hybridDecrypt(privateKey: string, encoded: string): Buffer {
  const data = Buffer.from(encoded, 'base64');
  const rsaLength = 256; // the custodian's RSA-2048 key
  const aesKey = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data.subarray(0, rsaLength));
  const decipher = createDecipheriv('aes-256-gcm', aesKey, data.subarray(rsaLength, rsaLength + 12)).setAAD(PART_AAD).setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(rsaLength + 12, data.length - 16)), decipher.final()]);
}

function hybridEncrypt(publicKey: string, plaintext: Buffer): string {
  const aesKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv).setAAD(PART_AAD);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, aesKey);
  return Buffer.concat([wrapped, iv, body, cipher.getAuthTag()]).toString('base64');
}

/** Initializes and unseals an HPCS instance's domain with one custodian (threshold 1), as its Manager `admin`. */
export async function runCeremony(kmsUrl: string, admin: string, guid: string): Promise<void> {
  const custodian = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const unit = (path: string, body: unknown) => call(kmsUrl, admin, 'POST', `/crypto_v1/instances/${guid}${path}`, body);
  const init = await unit('/ceremony/init', { threshold: 1, custodians: [{ name: 'custodian', publicKey: custodian.publicKey }] });
  if (init.status !== 200) throw new Error(`ceremony init failed: ${init.status} ${init.text}`);
  const { ceremonyPublicKey, parts } = init.body as { ceremonyPublicKey: string; parts: { encryptedPart: string }[] };
  const part = hybridDecrypt(custodian.privateKey, parts[0]?.encryptedPart ?? '');
  const unsealed = await unit('/unseal', { encryptedPart: hybridEncrypt(ceremonyPublicKey, part) });
  part.fill(0);
  if (unsealed.status !== 200 || (unsealed.body as { replicas: { state: string }[] }).replicas[0]?.state !== 'active') {
    throw new Error(`unseal failed: ${unsealed.status} ${unsealed.text}`);
  }
}
