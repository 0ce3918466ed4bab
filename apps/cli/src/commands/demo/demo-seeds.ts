import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Demo, type DemoShell, type RunResult, check } from './demo-runner';

/** What the seeds share: the demo user's shell, a scratch directory, the KMS's URL and a Key Protect instance. */
export interface DemoWorld {
  demo: Demo;
  user: DemoShell;
  dir: string;
  kmsUrl: string;
  /** A unique suffix for names. */
  tag: string;
  /** The Key Protect instance of seed 002, reused by the other seeds. */
  kp?: Instance;
  /** Seed 000's root key, disabled at `disabledAt`, enabled again at the end. */
  appConfig?: { instance: Instance; keyId: string; disabledAt: number };
}

interface Instance {
  guid: string;
  crn: string;
  name: string;
}
interface Key {
  id: string;
  crn: string;
  name: string;
  extractable: boolean;
  state: number;
}

/** Key lifecycle events reach the services within a second or two; more on a loaded machine. */
const EVENT_WAIT_MS = 30_000;
/**
 * A new authorization reaches a service with IAM's policy event (which drops its decision cache);
 * were that event missed, a cached refusal lasts at most a minute (libs/platform IamAuthzClient).
 */
const AUTHZ_WAIT_MS = 70_000;
/** For runUntil: the command succeeded. */
const ok = (result: RunResult): void => check(result.code === 0, `exit ${result.code}: ${result.stderr.split('\n')[0] ?? ''}`);
/** The first line of an error, without FAILED:. */
const reason = (result: RunResult): string => result.stderr.split('\n')[0]?.replace(/^FAILED: /, '') ?? '';
const short = (value: string) => (value.length > 24 ? `${value.slice(0, 20)}…` : value);

async function createInstance(w: DemoWorld, name: string, service: string, plan: string, region = 'us-south', parameters?: unknown): Promise<Instance> {
  const args = ['resource', 'service-instance-create', `${name}-${w.tag}`, service, plan, '-l', region, ...(parameters ? ['-p', JSON.stringify(parameters)] : [])];
  const created = (await w.user.run<Instance>(args)).json;
  w.demo.onCleanup(`instance ${created.name}`, w.user, ['resource', 'service-instance-delete', created.guid, '-f']);
  return created;
}

async function createKey(w: DemoWorld, instance: Instance, name: string): Promise<Key> {
  const key = (await w.user.run<Key>(['kp', 'key', 'create', name, '-i', instance.guid])).json;
  check(key.extractable === false, `${name} should be a root key`);
  return key;
}

async function authorize(w: DemoWorld, args: string[]): Promise<string> {
  const policy = (await w.user.run<{ id: string }>(['iam', 'authorization-policy-create', ...args])).json;
  w.demo.onCleanup(`authorization ${policy.id}`, w.user, ['iam', 'authorization-policy-delete', policy.id, '-f']);
  return policy.id;
}

/** Seed 002, "Integrating services": a Key Protect instance, a root key, wrap and unwrap. */
export async function seed002(w: DemoWorld): Promise<void> {
  const { demo, user } = w;
  demo.seed('Seed 002 — Integrating services: envelope encryption with a Key Protect root key');
  let kp: Instance | undefined;
  let key: Key | undefined;
  let wrapped = { ciphertext: '', plaintext: '' };
  await demo.step('Create a Key Protect instance', async () => {
    kp = await createInstance(w, 'demo-kp', 'kms', 'standard');
    w.kp = kp;
    return `instance ${kp.name} (${kp.guid})`;
  });
  if (!kp) return;
  const instance = kp;
  await demo.step('Create a root key in it (it never leaves the HSM)', async () => {
    key = await createKey(w, instance, 'demo-root');
    return `root key ${key.id}, state ${key.state === 1 ? 'Active' : key.state}\n${key.crn}`;
  });
  const rootKey = key as Key;
  await demo.step('Wrap a data encryption key (DEK): the KMS generates a 256-bit DEK and returns it with its ciphertext, bound to an AAD', async () => {
    wrapped = (await user.run<{ ciphertext: string; plaintext: string }>(['kp', 'key', 'wrap', rootKey.id, '-i', instance.guid, '-a', 'demo-record-42'])).json;
    check(Buffer.from(wrapped.plaintext, 'base64').length === 32, 'the generated DEK should be 32 bytes');
    return `a 32-byte DEK (kept by the caller, not shown) and its ciphertext ${short(wrapped.ciphertext)} (${Buffer.from(wrapped.ciphertext, 'base64').length} bytes) — store only the ciphertext`;
  });
  await demo.step('Unwrap the ciphertext: the same DEK comes back', async () => {
    const unwrapped = (await user.run<{ plaintext: string }>(['kp', 'key', 'unwrap', rootKey.id, wrapped.ciphertext, '-i', instance.guid, '-a', 'demo-record-42'])).json;
    check(unwrapped.plaintext === wrapped.plaintext, 'unwrap should return the wrapped DEK');
    return 'the DEK matches';
  });
  await demo.step('Unwrap with another AAD: refused', async () => {
    const refused = await user.run(['kp', 'key', 'unwrap', rootKey.id, wrapped.ciphertext, '-i', instance.guid, '-a', 'another-record'], { allowFailure: true });
    check(refused.code === 4, `unwrap with the wrong AAD should be refused (exit 4), got ${refused.code}`);
    return `refused (exit 4): ${refused.stderr.split('\n')[0]?.replace(/^FAILED: /, '')}`;
  });
}

/** Seed 003, "Protecting your keys": an HPCS instance, its key ceremony, a Key Protect instance backed by it. */
export async function seed003(w: DemoWorld): Promise<void> {
  const { demo, user } = w;
  demo.seed('Seed 003 — Protecting your keys: Key Protect on your own Hyper Protect Crypto Services crypto unit');
  let hpcs: Instance | undefined;
  await demo.step('Provision a Hyper Protect Crypto Services instance', async () => {
    hpcs = await createInstance(w, 'demo-hpcs', 'hs-crypto', 'standard');
    return `instance ${hpcs.name} (${hpcs.guid})`;
  });
  const unit = hpcs as Instance;
  await demo.step('Retrieve its connection information (GET /crypto_v1/instances/<id>)', async () => {
    const info = (await user.run<{ key_management_endpoint: string; domain: { state: string } }>(['hpcs', 'status', '-i', unit.guid])).json;
    check(info.domain.state === 'uninitialized', `a new crypto unit should be uninitialized, is ${info.domain.state}`);
    return `Key Protect API at ${info.key_management_endpoint}; crypto unit ${info.domain.state}`;
  });
  const custodians = ['alice', 'bob'].map((name) => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const publicKey = join(w.dir, `${name}.pub.pem`);
    const privateKey = join(w.dir, `${name}.key.pem`);
    writeFileSync(publicKey, pair.publicKey, { mode: 0o600 });
    writeFileSync(privateKey, pair.privateKey, { mode: 0o600 });
    return { name, publicKey, privateKey };
  });
  const parts = join(w.dir, 'ceremony');
  await demo.step('Key ceremony: a new master key split between two custodians (both needed); each part is encrypted to its custodian', async () => {
    const init = await user.run<{ threshold: number; parts: unknown[] }>(['hpcs', 'init', '-i', unit.guid, '--threshold', '2', ...custodians.flatMap((c) => ['--custodian', `${c.name}=${c.publicKey}`]), '--out-dir', parts]);
    check(init.json.threshold === 2, 'the ceremony should use a threshold of 2');
    return `${init.json.parts.length} encrypted parts written to ${parts} (the custodians' RSA key pairs were made locally for the demo)`;
  });
  for (const [i, c] of custodians.entries()) {
    await demo.step(`Custodian ${c.name} loads their part`, async () => {
      const run = await user.run<{ replicas: { state: string }[] }>(['hpcs', 'unseal', '-i', unit.guid, '--encrypted-part-file', join(parts, `${c.name}.part`), '--private-key', c.privateKey]);
      const states = [...new Set(run.json.replicas.map((r) => r.state))].join(', ');
      if (i === custodians.length - 1) check(run.json.replicas.every((r) => r.state === 'active'), `after both parts the unit should be active, is ${states}`);
      return `crypto unit ${states}`;
    });
  }
  let backed: Instance | undefined;
  await demo.step('Provision a Key Protect instance with the HPCS connection information: its keys live in your crypto unit', async () => {
    backed = await createInstance(w, 'demo-kp-on-hpcs', 'kms', 'standard', 'us-south', { hpcs_instance_crn: unit.crn });
    const refused = await user.run(['kp', 'keys', '-i', backed.guid], { allowFailure: true });
    check(refused.code === 4, `without the authorization the instance should refuse (exit 4), got ${refused.code}`);
    return `instance ${backed.name}; until Key Protect may use the crypto unit it refuses: ${refused.stderr.split('\n')[0]?.replace(/^FAILED: /, '')}`;
  });
  const kp = backed as Instance;
  await demo.step('Grant access between the two instances (Key Protect → HPCS, Reader)', async () => {
    const id = await authorize(w, ['kms', 'hs-crypto', 'Reader', '--source-service-instance-id', kp.guid, '--target-service-instance-id', unit.guid]);
    return `authorization ${id}`;
  });
  await demo.step('Create a root key in the Key Protect instance and wrap with it: done in your crypto unit', async () => {
    const key = (await user.runUntil<Key>(['kp', 'key', 'create', 'demo-kyok-root', '-i', kp.guid], ok, AUTHZ_WAIT_MS)).json;
    const wrapped = (await user.run<{ ciphertext: string }>(['kp', 'key', 'wrap', key.id, '-i', kp.guid])).json;
    return `root key ${key.id}; wrapped a DEK (${Buffer.from(wrapped.ciphertext, 'base64').length}-byte ciphertext)`;
  });
}

interface Integration {
  root_key_crn: string;
  key_version_id: string;
  key_state: string;
  registered_crn: string;
}

/** Seed 000, App Configuration: authorize, connect a root key, segments under it, rotate and disable. */
export async function seed000(w: DemoWorld): Promise<void> {
  const { demo, user } = w;
  const kp = w.kp as Instance;
  demo.seed('Seed 000 — App Configuration: segment data encrypted with your Key Protect root key');
  let app: Instance | undefined;
  let key: Key | undefined;
  await demo.step('An App Configuration instance (Enterprise plan) and a root key for it in the Key Protect instance', async () => {
    app = await createInstance(w, 'demo-appconfig', 'apprapp', 'enterprise');
    key = await createKey(w, kp, 'demo-appconfig-root');
    return `instance ${app.name} (${app.guid}); root key ${key.id}`;
  });
  const ac = app as Instance;
  const rootKey = key as Key;
  await demo.step('Connect without an authorization: refused, naming what is missing', async () => {
    const refused = await user.run(['app-config', 'integration', 'create', '-i', ac.guid, '--root-key', rootKey.crn], { allowFailure: true });
    check(refused.code === 4 && refused.stderr.includes('authorization-policy-create apprapp kms Reader'), `the integration should be refused naming the authorization, got exit ${refused.code}: ${reason(refused)}`);
    return `refused (exit 4): ${reason(refused)}`;
  });
  await demo.step('Authorize App Configuration (this instance) to use the Key Protect instance as Reader', async () => {
    return `authorization ${await authorize(w, ['apprapp', 'kms', 'Reader', '--source-service-instance-id', ac.guid, '--target-service-instance-id', kp.guid])}`;
  });
  await demo.step('Connect the root key ("Key Management" → Connect)', async () => {
    const created = await user.runUntil<Integration>(['app-config', 'integration', 'create', '-i', ac.guid, '--root-key', rootKey.crn], ok, AUTHZ_WAIT_MS);
    check(created.json.key_state === 'active', `the integration's key should be active, is ${created.json.key_state}`);
    const registrations = (await user.run<{ resourceCrn: string }[]>(['kp', 'registrations', '-i', kp.guid, '-k', rootKey.id])).json;
    check(registrations.some((r) => r.resourceCrn === ac.crn), 'the App Configuration instance should be registered with the key');
    return `connected, key state ${created.json.key_state}; the key lists the instance as a registered resource (${ac.crn})`;
  });
  await demo.step('Create a segment: App Configuration stores its rules only as ciphertext under a DEK the root key wraps', async () => {
    await user.run(['app-config', 'segment', 'create', 'staff', '-i', ac.guid, '--name', 'Staff', '--rule', 'email endsWith @example.com']);
    const segments = (await user.run<{ segment_id: string; rules: { values: string[] }[] }[]>(['app-config', 'segments', '-i', ac.guid])).json;
    check(segments[0]?.rules[0]?.values[0] === '@example.com', 'the segment should read back decrypted');
    return 'segment staff: email endsWith @example.com (decrypted on read; the table holds only rules_ciphertext)';
  });
  await demo.step('A feature that uses the segment, evaluated for two users', async () => {
    await user.run(['app-config', 'environment', 'create', 'prod', '-i', ac.guid]);
    await user.run(['app-config', 'feature', 'create', 'new-dashboard', '-i', ac.guid, '-e', 'prod', '--enabled', '--rollout', '0', '--segment-rule', 'staff=true']);
    const staff = (await user.run<{ value: boolean; reason: string }>(['app-config', 'evaluate', 'new-dashboard', '-i', ac.guid, '-e', 'prod', '--entity', 'alice', '--attr', 'email=alice@example.com'])).json;
    const other = (await user.run<{ value: boolean; reason: string }>(['app-config', 'evaluate', 'new-dashboard', '-i', ac.guid, '-e', 'prod', '--entity', 'bob', '--attr', 'email=bob@elsewhere.org'])).json;
    check(staff.value === true && staff.reason === 'segment' && other.value === false, 'staff should get true through the segment, others false');
    return `alice@example.com → ${String(staff.value)} (${staff.reason}); bob@elsewhere.org → ${String(other.value)} (${other.reason})`;
  });
  await demo.step('Rotate the root key: App Configuration rewraps its DEK under the new version', async () => {
    const before = (await user.run<Integration[]>(['app-config', 'integrations', '-i', ac.guid])).json[0]?.key_version_id;
    await user.run(['kp', 'key', 'rotate', rootKey.id, '-i', kp.guid]);
    const after = await user.runUntil<Integration[]>(['app-config', 'integrations', '-i', ac.guid], (r) => check(r.json?.[0]?.key_version_id !== before, 'not rewrapped yet'), EVENT_WAIT_MS);
    return `key version ${short(before ?? '')} → ${short(after.json[0]?.key_version_id ?? '')}`;
  });
  await demo.step('Disable the root key: segment data can no longer be read', async () => {
    await user.run(['kp', 'key', 'disable', rootKey.id, '-i', kp.guid]);
    w.appConfig = { instance: ac, keyId: rootKey.id, disabledAt: Date.now() };
    const refused = await user.runUntil(['app-config', 'segments', '-i', ac.guid], (r) => check(r.code === 4 && r.stderr.includes('is disabled (state 2)'), `still readable (exit ${r.code})`), EVENT_WAIT_MS);
    return `refused (exit 4): ${reason(refused)}\n(Key Protect lets a key be enabled 30 s after it was disabled: the demo comes back to it at the end)`;
  });
}

/** Seed 000, continued: enabling the key makes the segments readable again. */
export async function seed000Enable(w: DemoWorld): Promise<void> {
  const { demo, user } = w;
  const state = w.appConfig;
  if (!state || !w.kp) return;
  const kp = w.kp;
  demo.seed('Seed 000 (continued) — App Configuration after the root key is enabled again');
  await demo.step('Enable the root key (Key Protect allows it 30 s after the disable): segments are readable again', async () => {
    const wait = state.disabledAt + 30_500 - Date.now();
    if (wait > 0) {
      demo.print(`     (waiting ${Math.ceil(wait / 1000)} s for Key Protect's 30-second window)`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await user.runUntil(['kp', 'key', 'enable', state.keyId, '-i', kp.guid], ok, 10_000, 1000);
    const segments = await user.runUntil<unknown[]>(['app-config', 'segments', '-i', state.instance.guid], ok, EVENT_WAIT_MS);
    return `${segments.json.length} segment(s) readable again`;
  });
}

interface Cluster {
  id: string;
  name: string;
  crn: string;
  kms: { keyId: string } | null;
}

/** Seed 004, DBaaS: a cluster under a customer key, its nodes' key status, key deletion, restore into a new cluster. */
export async function seed004(w: DemoWorld): Promise<void> {
  const { demo, user } = w;
  const kp = w.kp as Instance;
  demo.seed('Seed 004 — Hyper Protect DBaaS: a database cluster encrypted with your root key');
  let rootKey: Key | undefined;
  let backupKey: Key | undefined;
  await demo.step('Step 1: a root key for the cluster and one for its backups', async () => {
    rootKey = await createKey(w, kp, 'demo-dbaas-root');
    backupKey = await createKey(w, kp, 'demo-dbaas-backup');
    return `root key ${rootKey.id}; backup key ${backupKey.id}`;
  });
  const root = rootKey as Key;
  const backup = backupKey as Key;
  const createArgs = ['dbaas', 'cluster', 'create', `demo-db-${w.tag}`, '--kms-key-crn', root.crn, '--backup-key-crn', backup.crn, '--database', 'clinic', '--user', 'admin'];
  await demo.step('Creating the cluster without an authorization is refused, naming it', async () => {
    const refused = await user.run(createArgs, { allowFailure: true });
    check(refused.code === 4 && refused.stderr.includes('authorization-policy-create hyperp-dbaas-postgresql kms Reader'), `creation should be refused naming the authorization, got exit ${refused.code}: ${reason(refused)}`);
    return `refused (exit 4): ${reason(refused)}`;
  });
  await demo.step('Step 2: authorize DBaaS (all its instances) to use the Key Protect instance as Reader, delegating to its backup worker', async () => {
    return `authorization ${await authorize(w, ['hyperp-dbaas-postgresql', 'kms', 'Reader', '--target-service-instance-id', kp.guid, '--delegate'])}`;
  });
  let cluster: Cluster | undefined;
  await demo.step('Step 3: create the cluster with the root key (it cannot change later)', async () => {
    cluster = (await user.runUntil<Cluster>(createArgs, ok, AUTHZ_WAIT_MS)).json;
    const created = cluster;
    demo.onCleanup(`cluster ${created.name}`, user, ['dbaas', 'cluster', 'delete', created.id, '-f']);
    check(created.kms?.keyId === root.id, 'the cluster should use the root key');
    const nodes = (await user.run<{ keyStatus: string }[]>(['dbaas', 'nodes', created.id])).json;
    check(nodes.length > 0 && nodes.every((n) => n.keyStatus === 'active'), 'every node should show the key active');
    await user.run(['dbaas', 'row', 'create', created.id, 'patients', '{"id":"p1","name":"Jane Roe","condition":"private"}']);
    return `cluster ${created.name} (${created.id}); ${nodes.length} nodes, key status ${nodes.map((n) => n.keyStatus).join(', ')}; one row written`;
  });
  const db = cluster as Cluster;
  let backupId = '';
  await demo.step('Take a backup (encrypted with the backup key)', async () => {
    const taken = (await user.run<{ id: string; rowCount: number }>(['dbaas', 'backup', db.id])).json;
    check(taken.rowCount === 1, `the backup should hold 1 row, holds ${taken.rowCount}`);
    backupId = taken.id;
    const listed = (await user.run<{ id: string }[]>(['dbaas', 'backups', db.id])).json;
    check(listed.some((b) => b.id === taken.id), 'the backup should be listed');
    return `backup ${taken.id} with ${taken.rowCount} row`;
  });
  await demo.step('Step 4: delete the root key: the nodes show it deleted and the data is unreadable', async () => {
    await user.run(['kp', 'key', 'delete', root.id, '-i', kp.guid, '-f', '--override-registrations']);
    const nodes = await user.runUntil<{ keyStatus: string }[]>(['dbaas', 'nodes', db.id], (r) => check(r.code === 0 && r.json.every((n) => n.keyStatus === 'deleted'), 'not yet deleted'), EVENT_WAIT_MS);
    const refused = await user.run(['dbaas', 'row', 'show', db.id, 'patients', 'p1'], { allowFailure: true });
    check(refused.code === 4 && /restorable until/.test(refused.stderr), `reading should be refused saying until when the key is restorable, got exit ${refused.code}: ${reason(refused)}`);
    return `key status ${[...new Set(nodes.json.map((n) => n.keyStatus))].join(', ')}; reading refused (exit 4): ${reason(refused)}`;
  });
  await demo.step('Recover the data: restore the backup into a new cluster with a new root key', async () => {
    const newKey = await createKey(w, kp, 'demo-dbaas-new');
    const restored = (await user.run<Cluster>(['dbaas', 'restore', backupId, '--cluster', db.id, '--name', `demo-db-restored-${w.tag}`, '--kms-key-crn', newKey.crn])).json;
    demo.onCleanup(`cluster ${restored.name}`, user, ['dbaas', 'cluster', 'delete', restored.id, '-f']);
    const row = (await user.run<{ name: string }>(['dbaas', 'row', 'show', restored.id, 'patients', 'p1'])).json;
    check(row.name === 'Jane Roe', 'the restored cluster should hold the row');
    return `new cluster ${restored.name} (${restored.id}) holds patient p1: ${row.name}`;
  });
}

/** Seed 001, Schematics: instances ls, enable with primary and secondary, info, failover. */
export async function seed001(w: DemoWorld): Promise<void> {
  const { demo, user } = w;
  const kp = w.kp as Instance;
  demo.seed('Seed 001 — Schematics: KMS integration for BYOK with a primary and a secondary root key');
  let east: Instance | undefined;
  let primary: Key | undefined;
  let secondary: Key | undefined;
  await demo.step('Prerequisites: a root key in us-south, a second Key Protect instance in us-east with one, and Reader authorizations for Schematics', async () => {
    primary = await createKey(w, kp, 'demo-schematics-primary');
    east = await createInstance(w, 'demo-kp-east', 'kms', 'standard', 'us-east');
    secondary = await createKey(w, east, 'demo-schematics-secondary');
    await authorize(w, ['schematics', 'kms', 'Reader', '--target-service-instance-id', kp.guid]);
    await authorize(w, ['schematics', 'kms', 'Reader', '--target-service-instance-id', east.guid]);
    return `primary key ${primary.id} (${kp.name}), secondary key ${secondary.id} (${east.name})`;
  });
  const p = primary as Key;
  const s = secondary as Key;
  const eastInstance = east as Instance;
  await demo.step('List the KMS instances of location us (BYOK)', async () => {
    const listed = await user.runUntil<{ kms_instances: { kms_name: string; keys: { crn: string }[] }[] }>(
      ['schematics', 'kms', 'instances', 'ls', '--location', 'us', '--scheme', 'byok'],
      (r) => check(r.code === 0 && [p.crn, s.crn].every((crn) => r.json.kms_instances.some((i) => i.keys.some((k) => k.crn === crn))), 'the keys are not listed yet'),
      AUTHZ_WAIT_MS,
    );
    return listed.json.kms_instances.map((i) => `${i.kms_name}: ${i.keys.length} root key(s)`).join('\n');
  });
  const enableArgs = [
    'schematics', 'kms', 'enable', '--location', 'us', '--scheme', 'byok', '--group', 'default',
    '--primary_name', kp.name, '--primary_crn', p.crn, '--primary_endpoint', w.kmsUrl,
    '--secondary_name', eastInstance.name, '--secondary_crn', s.crn, '--secondary_endpoint', w.kmsUrl,
  ];
  await demo.step('Enable BYOK for location us with the primary and the secondary key (a one-time setting)', async () => {
    await user.runUntil(enableArgs, ok, AUTHZ_WAIT_MS);
    const again = await user.run(enableArgs, { allowFailure: true });
    check(again.code === 4 && again.stderr.includes('support'), `a second enable should be refused (one-time setting), got exit ${again.code}`);
    return `enabled; a second enable is refused: ${reason(again)}`;
  });
  await demo.step('Get the current root key information', async () => {
    const info = (await user.run<{ primary_crk: { key_crn: string }; secondary_crk?: { key_crn: string } }>(['schematics', 'kms', 'info', '--location', 'us'])).json;
    check(info.primary_crk.key_crn === p.crn && info.secondary_crk?.key_crn === s.crn, 'info should show both keys');
    return `primary ${p.crn}\nsecondary ${s.crn}`;
  });
  let workspace = '';
  await demo.step('A workspace with a secure variable: its data key is wrapped by both root keys', async () => {
    const created = (await user.run<{ id: string; encryption: { role: string }[] }>(['schematics', 'workspace', 'create', `demo-ws-${w.tag}`, '--location', 'us', '--secure-var', 'db_password=correct-horse'])).json;
    workspace = created.id;
    demo.onCleanup(`workspace ${created.id}`, user, ['schematics', 'workspace', 'delete', created.id, '-f']);
    check(created.encryption.length === 2, `the workspace should be wrapped by 2 keys, is by ${created.encryption.length}`);
    return `workspace ${created.id}, wrapped by: ${created.encryption.map((e) => e.role).join(', ')}`;
  });
  await demo.step('Failover: disable the primary key; the workspace still reads through the secondary', async () => {
    await user.run(['kp', 'key', 'disable', p.id, '-i', kp.guid]);
    const vars = await user.runUntil<{ name: string; value: string }[]>(['schematics', 'workspace', 'variables', workspace], (r) => check(r.code === 0 && r.json.some((v) => v.value === 'correct-horse'), `not readable (exit ${r.code})`), EVENT_WAIT_MS);
    return `db_password read back (${vars.json.length} variable) with the primary key disabled`;
  });
}
