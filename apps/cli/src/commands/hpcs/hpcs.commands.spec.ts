import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli } from '../../program';
import { type FakeAnswer, type SeenRequest, fakeService } from '../../testing/fake-service';
import { testContext } from '../../testing/test-context';
import { decryptPart, encryptPart } from './ceremony-crypto';

const INSTANCE = '11111111-2222-4333-8444-555555555555';
const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

describe('keyward hpcs (in-process, against a stand-in KMS)', () => {
  const ceremonyKey = pair();
  let kms: Awaited<ReturnType<typeof fakeService>>;
  let answer: (request: SeenRequest) => FakeAnswer;
  let work: string;

  beforeAll(async () => {
    kms = await fakeService((request) => answer(request));
  });
  afterAll(async () => {
    await kms.close();
    rmSync(dirname(kms.configDir), { recursive: true, force: true });
  });
  beforeEach(() => {
    kms.seen.length = 0;
    work = mkdtempSync(join(tmpdir(), 'keyward-hpcs-'));
    answer = (request) =>
      request.method === 'GET'
        ? { status: 200, body: { instance_id: INSTANCE, crn: 'crn', region: 'us-south', key_management_endpoint: 'http://kms', domain: { domainId: INSTANCE, state: 'sealed', threshold: 2, submitted: 0, ceremonyPublicKey: ceremonyKey.publicKey } } }
        : { status: 200, body: { replicas: [{ replicaId: 'hsm-1', state: 'sealed', threshold: 2, submitted: 1 }] } };
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const run = async (args: string[], overrides = {}) => {
    const ctx = testContext({ KEYWARD_CONFIG_DIR: kms.configDir }, overrides);
    const code = await runCli(args, ctx);
    return { code, out: ctx.stdout.join('\n'), err: ctx.stderr.join('\n') };
  };
  const submitted = () => (kms.seen.find((r) => r.method === 'POST')?.body as { encryptedPart: string }).encryptedPart;

  it('asks for the part at a hidden prompt, sends it only encrypted to the ceremony key, and never prints it', async () => {
    const part = randomBytes(33);
    const questions: string[] = [];
    const result = await run(['hpcs', 'unseal', '-i', INSTANCE], { interactive: true, promptSecret: (q: string) => (questions.push(q), Promise.resolve(part.toString('base64'))) });
    expect(result.code).toBe(0);
    expect(questions).toEqual(['Key part (base64, not shown): ']);
    expect(kms.seen.map((r) => `${r.method} ${r.url}`)).toEqual([`GET /crypto_v1/instances/${INSTANCE}`, `POST /crypto_v1/instances/${INSTANCE}/unseal`]);
    expect(decryptPart(createPrivateKey(ceremonyKey.privateKey), submitted())).toEqual(part);
    expect(JSON.stringify(kms.seen)).not.toContain(part.toString('base64'));
    expect(result.out).toMatch(/^hsm-1\s+sealed\s+1\/2/m);
    expect(result.out + result.err).not.toContain(part.toString('base64'));
    expect(result.err).toContain('More parts are needed');
  });

  it("opens the custodian's encrypted part with the custodian's key (passphrase asked), and refuses a part that is not base64 without echoing it", async () => {
    const custodian = pair();
    const part = randomBytes(33);
    writeFileSync(join(work, 'alice.part'), encryptPart(custodian.publicKey, part));
    const protectedKey = createPrivateKey(custodian.privateKey).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' });
    writeFileSync(join(work, 'alice.pem'), protectedKey);
    const result = await run(['hpcs', 'rotate-master-key', '-i', INSTANCE, '--encrypted-part-file', join(work, 'alice.part'), '--private-key', join(work, 'alice.pem')], {
      interactive: true,
      promptSecret: () => Promise.resolve('correct horse'),
    });
    expect(result.code).toBe(0);
    expect(kms.seen[1]?.url).toBe(`/crypto_v1/instances/${INSTANCE}/rotate-master-key`);
    expect(decryptPart(createPrivateKey(ceremonyKey.privateKey), submitted())).toEqual(part);

    kms.seen.length = 0;
    writeFileSync(join(work, 'typo'), 'my secret part!');
    const bad = await run(['hpcs', 'unseal', '-i', INSTANCE, '--part-file', join(work, 'typo')]);
    expect(bad.code).toBe(2);
    expect(bad.err).not.toContain('my secret part');
    expect(kms.seen).toEqual([]);
    const wrongKey = await run(['hpcs', 'unseal', '-i', INSTANCE, '--encrypted-part-file', join(work, 'alice.part'), '--private-key', join(work, 'other.pem')]);
    expect(wrongKey.code).toBe(2);
  });

  it('init writes each encrypted part to a new 0600 file, and refuses before the ceremony when a file exists', async () => {
    const custodians = ['alice', 'bob'].map((name) => {
      writeFileSync(join(work, `${name}.pub.pem`), pair().publicKey);
      return ['--custodian', `${name}=${join(work, `${name}.pub.pem`)}`];
    });
    answer = () => ({ status: 200, body: { ceremonyPublicKey: ceremonyKey.publicKey, threshold: 2, parts: [{ name: 'alice', encryptedPart: 'QUFB' }, { name: 'bob', encryptedPart: 'QkJC' }] } });
    const out = join(work, 'parts');
    const result = await run(['hpcs', 'init', '-i', INSTANCE, '--threshold', '2', ...custodians.flat(), '--out-dir', out]);
    expect(result.code).toBe(0);
    expect(kms.seen[0]).toMatchObject({ url: `/crypto_v1/instances/${INSTANCE}/ceremony/init`, body: { threshold: 2, custodians: [{ name: 'alice' }, { name: 'bob' }] } });
    expect(readFileSync(join(out, 'alice.part'), 'utf8').trim()).toBe('QUFB');
    expect(statSync(join(out, 'bob.part')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(out, 'ceremony-public-key.pem'))).toBe(true);

    kms.seen.length = 0;
    expect((await run(['hpcs', 'init', '-i', INSTANCE, '--threshold', '2', ...custodians.flat(), '--out-dir', out])).code).toBe(2);
    expect((await run(['hpcs', 'init', '-i', INSTANCE, '--threshold', '3', ...custodians.flat(), '--out-dir', join(work, 'x')])).code).toBe(2);
    expect(kms.seen).toEqual([]);
  });
});
