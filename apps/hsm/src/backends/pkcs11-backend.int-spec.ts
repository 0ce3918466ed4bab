import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { type SuiteContext, createSuiteContext, repoRoot } from '@keyward/testing';
import { DomainError, ERROR_TABLE } from '@keyward/contracts';
import { HsmTestClient, makeCustodians } from '../testing/hsm-test-client';
import { type HsmBackendSetup, backendSetup } from '../testing/backend-env';

/** Reads the platform key's attributes as another process would, with the token's own PIN. */
function inspectPlatformKey(conf: string, env: Record<string, string>): { extractable: string; sensitive: string; value: string } {
  const script = `
    const pkcs11js = require('pkcs11js');
    const p = new pkcs11js.PKCS11();
    p.load(process.env.MODULE);
    p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trim() === process.env.LABEL);
    const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    p.C_Login(session, pkcs11js.CKU_USER, process.env.PIN);
    p.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_ID, value: Buffer.from('keyward:platform:master:1') }]);
    const key = p.C_FindObjects(session);
    p.C_FindObjectsFinal(session);
    const [extractable, sensitive] = p.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_SENSITIVE }]);
    let value = 'readable';
    try { p.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }]); } catch (e) { value = e.message; }
    console.log(JSON.stringify({ extractable: extractable.value.toString('hex'), sensitive: sensitive.value.toString('hex'), value }));
    p.C_Finalize();
  `;
  const result = spawnSync(process.execPath, ['-e', script], {
    cwd: repoRoot(),
    env: { PATH: process.env['PATH'], SOFTHSM2_CONF: conf, MODULE: env['KEYWARD_HSM_PKCS11_MODULE'], LABEL: env['KEYWARD_HSM_PKCS11_TOKEN_LABEL'], PIN: env['KEYWARD_HSM_PKCS11_PIN'] },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as { extractable: string; sensitive: string; value: string };
}

describe('pkcs11 backend: the platform master key is the operator\'s, in the token (SoftHSM2)', () => {
  let suite: SuiteContext;
  let setup: HsmBackendSetup;
  let other: HsmBackendSetup | undefined;
  let client: HsmTestClient;

  beforeAll(async () => {
    suite = await createSuiteContext(['hsm']);
    setup = await backendSetup('pkcs11');
    client = await HsmTestClient.create(suite.envFor('kms'));
  });

  afterAll(async () => {
    await client?.close();
    await suite?.dispose();
    setup?.dispose();
    other?.dispose();
  });

  it('refuses a rotation ceremony for the token\'s platform master key up front, so the daemon still starts', async () => {
    const custodians = makeCustodians(1).map((custodian) => ({ name: custodian.name, publicKey: custodian.keyPair.publicKeyPem }));
    let hsm = await setup.launch(suite.envFor('hsm', setup.env));
    try {
      const key = await client.domainOp('platform', 'key.generate', { kind: 'root' });
      const wrapped = await client.domainOp('platform', 'wrap', { keyId: key.keyId });
      const refusal = await client.domains('ceremony-init', { domainId: 'platform', threshold: 1, custodians, rotation: true }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(DomainError);
      expect((refusal as DomainError).code).toBe('MASTER_KEY_ROTATION_UNSUPPORTED_ERR');
      expect(ERROR_TABLE.MASTER_KEY_ROTATION_UNSUPPORTED_ERR.status).toBeLessThan(500);
      const pg = new Client({ connectionString: suite.databases.hsm?.url });
      await pg.connect();
      const { rows } = await pg.query("SELECT pending_master_check, generation FROM domains WHERE id = 'platform'");
      await pg.end();
      expect(rows).toEqual([{ pending_master_check: null, generation: 1 }]);
      // The next start still accepts the key store, and the key still opens.
      await hsm.close();
      hsm = await setup.launch(suite.envFor('hsm', setup.env));
      expect((await client.domainOp('platform', 'unwrap', { keyId: key.keyId, ciphertext: wrapped.ciphertext })).plaintext).toBe(wrapped.plaintext);
    } finally {
      await hsm.close();
    }
  }, 120_000);

  it('generates it sensitive and non-extractable, records only a check value, and refuses another token', async () => {
    const hsm = await setup.launch(suite.envFor('hsm', setup.env));
    try {
      const key = await client.domainOp('platform', 'key.generate', { kind: 'root' });
      await client.domainOp('platform', 'wrap', { keyId: key.keyId });
    } finally {
      await hsm.close();
    }
    const attributes = inspectPlatformKey(setup.softhsmConf ?? '', setup.env);
    expect(attributes).toEqual({ extractable: '00', sensitive: '01', value: 'CKR_ATTRIBUTE_SENSITIVE' });

    const pg = new Client({ connectionString: suite.databases.hsm?.url });
    await pg.connect();
    const { rows } = await pg.query("SELECT master_check, threshold FROM domains WHERE id = 'platform'");
    await pg.end();
    expect(rows).toEqual([{ master_check: expect.stringMatching(/^pkcs11:/), threshold: null }]);

    // The same key store against a token with another platform key: the daemon does not start.
    other = await backendSetup('pkcs11');
    await expect(other.launch(suite.envFor('hsm', other.env))).rejects.toThrow();
    expect(other.output.join('\n')).toContain('another platform master key');
  }, 120_000);
});
