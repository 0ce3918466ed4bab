import type { Command } from 'commander';
import { present, printTable } from '../../output/output';
import { usageError } from '../../cli-error';
import { type CommandEnv, confirmed, listArgument } from '../command-kit';
import { type KpCollection, KpClient, keyPath, withInstance } from './kp-client';
import { base64Argument, createKeyBody, expirationDateOption, integerOption, keyStatesQuery, rootKeyMaterial } from './kp-requests';
import { type KeyView, printKey, printKeys } from './key-views';
import { secureImport } from './secure-import';

export interface InstanceOptions {
  instanceId: string;
}

interface KeyCreateOptions extends InstanceOptions {
  keyMaterial?: string;
  standardKey?: boolean;
  description?: string;
  expirationDate?: string;
  importToken?: boolean;
  aliases?: string;
  keyRing?: string;
}

export const keysHint = (instance: string) => `List the instance's keys with \`keyward kp keys -i ${instance}\` (add -e destroyed for deleted ones)`;

/** Material given with -k: base64 (or @file), checked for a root key's sizes. Never echoed. */
function materialOption(value: string | undefined, root: boolean): string | undefined {
  if (value === undefined) return undefined;
  const payload = base64Argument(value, 'key material', '--key-material');
  if (root) rootKeyMaterial(payload, '--key-material');
  return payload;
}

/** Runs a key action that answers 204 and says what happened. */
async function keyAction(env: CommandEnv, command: Command, instanceArg: string, key: string, action: string, json: unknown, done: string): Promise<void> {
  const client = await KpClient.open(env, instanceArg);
  await client.call({ method: 'POST', path: keyPath(key, `/actions/${action}`), json }, { notFoundHint: keysHint(instanceArg) });
  present(env.context, command, { id: key, action }, () => env.context.out(done));
}

/**
 * `keyward kp keys` and the key lifecycle (`kp key create|show|delete|restore|purge|rotate|disable|enable|versions`),
 * in `ibmcloud kp`'s words and flags, against what the KMS serves (docs/KMS.md).
 */
export function registerKeyCommands(kp: Command, key: Command, env: CommandEnv): void {
  const { context } = env;

  withInstance(kp.command('keys').description('list the keys of an instance'))
    .option('-n, --number-of-keys <n>', 'at most this many keys (1-5000; default 200)')
    .option('-s, --starting-offset <n>', 'skip this many keys')
    .option('-e, --key-states <states>', 'only keys in these states, comma-separated: active, suspended, deactivated, destroyed, pre-activation')
    .option('-c, --crn', "show each key's CRN")
    .action(async (options: InstanceOptions & { numberOfKeys?: string; startingOffset?: string; keyStates?: string; crn?: boolean }, command: Command) => {
      const query = {
        limit: options.numberOfKeys === undefined ? undefined : String(integerOption(options.numberOfKeys, '--number-of-keys', 1, 5000)),
        offset: options.startingOffset === undefined ? undefined : String(integerOption(options.startingOffset, '--starting-offset')),
        state: options.keyStates === undefined ? undefined : keyStatesQuery(options.keyStates),
      };
      const client = await KpClient.open(env, options.instanceId);
      const keys = (await client.call<KpCollection<KeyView>>({ method: 'GET', path: '/keys', query })).body?.resources ?? [];
      present(context, command, keys, () => printKeys(context, keys, options.crn === true, options.instanceId));
    });

  withInstance(key.command('show').description("show a key's metadata"))
    .argument('<key>', 'the key id (or alias)')
    .option('--payload', "also fetch a standard key's payload (needs ReaderPlus); printed, so mind your terminal")
    .action(async (keyId: string, options: InstanceOptions & { payload?: boolean }, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      const path = options.payload ? keyPath(keyId) : keyPath(keyId, '/metadata');
      const shown = KpClient.first((await client.call<KpCollection<KeyView>>({ method: 'GET', path }, { notFoundHint: keysHint(options.instanceId) })));
      present(context, command, shown, () => printKey(context, shown));
    });

  withInstance(key.command('delete').description('delete a key (state Destroyed; restorable for 30 days, purged after 90)'))
    .argument('<key>', 'the key id (or alias)')
    .option('-f, --force', 'delete without asking')
    .option('--override-registrations', "delete even though resources registered the key (Key Protect's force=true; a registration that prevents deletion still does)")
    .action(async (keyId: string, options: InstanceOptions & { force?: boolean; overrideRegistrations?: boolean }, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      if (!(await confirmed(context, options.force, `Delete key ${keyId}? Everything it wrapped becomes unreadable until it is restored.`))) {
        env.setExitCode(1);
        return;
      }
      const query = { force: options.overrideRegistrations ? 'true' : undefined };
      const answer = await client.call<KpCollection<KeyView>>({ method: 'DELETE', path: keyPath(keyId), query, headers: { prefer: 'return=representation' } }, { notFoundHint: keysHint(options.instanceId) });
      const deleted = answer.body?.resources?.[0] ?? { id: keyId, deleted: true };
      present(context, command, deleted, () => {
        context.out(`Deleted key ${keyId}.`);
        context.err(`It can be restored for 30 days: \`keyward kp key restore ${keyId} -i ${options.instanceId}\`.`);
      });
    });

  withInstance(key.command('restore').description('restore a deleted key (30 s to 30 days after the delete)'))
    .argument('<key>', 'the key id')
    .option('-k, --key-material <base64>', 'for an imported root key: the material it was imported with (base64, or @<file>)')
    .action(async (keyId: string, options: InstanceOptions & { keyMaterial?: string }, command: Command) => {
      const payload = materialOption(options.keyMaterial, true);
      const client = await KpClient.open(env, options.instanceId);
      const body = payload === undefined ? undefined : createKeyBody({ name: keyId, standard: false, payload });
      const restored = KpClient.first(await client.call<KpCollection<KeyView>>({ method: 'POST', path: keyPath(keyId, '/restore'), json: body }, { notFoundHint: keysHint(options.instanceId) }));
      present(context, command, restored, () => {
        context.out(`Restored key ${keyId}.`);
        printKey(context, restored);
      });
    });

  withInstance(key.command('purge').description('destroy a deleted key for good (4 h after the delete; needs the KeyPurge role)'))
    .argument('<key>', 'the key id')
    .option('-f, --force', 'purge without asking')
    .action(async (keyId: string, options: InstanceOptions & { force?: boolean }, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      if (!(await confirmed(context, options.force, `Purge key ${keyId}? This cannot be undone.`, 'purge'))) {
        env.setExitCode(1);
        return;
      }
      await client.call({ method: 'DELETE', path: keyPath(keyId, '/purge'), headers: { prefer: 'return=minimal' } }, { notFoundHint: keysHint(options.instanceId) });
      present(context, command, { id: keyId, purged: true }, () => context.out(`Purged key ${keyId}.`));
    });

  withInstance(key.command('rotate').description('rotate a root key (a new version; at most once an hour)'))
    .argument('<key>', 'the key id (or alias)')
    .option('-k, --key-material <base64>', 'for an imported root key: the new material (base64, or @<file>)')
    .action(async (keyId: string, options: InstanceOptions & { keyMaterial?: string }, command: Command) => {
      const payload = materialOption(options.keyMaterial, true);
      await keyAction(env, command, options.instanceId, keyId, 'rotate', payload === undefined ? {} : { payload }, `Rotated key ${keyId}.`);
    });

  withInstance(key.command('disable').description('suspend a root key: it wraps and unwraps nothing until enabled'))
    .argument('<key>', 'the key id (or alias)')
    .action(async (keyId: string, options: InstanceOptions, command: Command) => {
      await keyAction(env, command, options.instanceId, keyId, 'disable', undefined, `Disabled key ${keyId}. Enable it again (after 30 s) with \`keyward kp key enable ${keyId} -i ${options.instanceId}\`.`);
    });

  withInstance(key.command('enable').description('enable a disabled key (30 s after the disable)'))
    .argument('<key>', 'the key id (or alias)')
    .action(async (keyId: string, options: InstanceOptions, command: Command) => {
      await keyAction(env, command, options.instanceId, keyId, 'enable', undefined, `Enabled key ${keyId}.`);
    });

  withInstance(key.command('versions').description("list a key's versions, newest first"))
    .argument('<key>', 'the key id (or alias)')
    .option('--all-key-states', 'also for a key that is not active')
    .action(async (keyId: string, options: InstanceOptions & { allKeyStates?: boolean }, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      const query = { allKeyStates: options.allKeyStates ? 'true' : undefined };
      const versions = (await client.call<KpCollection<{ id: string; creationDate?: string }>>({ method: 'GET', path: keyPath(keyId, '/versions'), query }, { notFoundHint: keysHint(options.instanceId) })).body?.resources ?? [];
      present(context, command, versions, () =>
        printTable(
          context,
          versions,
          [
            { header: 'Version ID', value: (v) => v.id },
            { header: 'Created', value: (v) => v.creationDate ?? '' },
          ],
          'No versions.',
        ),
      );
    });

  registerKeyCreate(key, env);
}

function registerKeyCreate(key: Command, env: CommandEnv): void {
  const { context } = env;
  withInstance(key.command('create').description('create a root key (default) or a standard key; with --key-material, import it'))
    .argument('<name>', 'the key name (2-90 characters)')
    .option('-k, --key-material <base64>', 'import this key material (base64, or @<file>); a root key takes 128, 192 or 256 bits')
    .option('-s, --standard-key', 'a standard key (extractable) instead of a root key')
    .option('-D, --description <text>', 'a description')
    .option('--expiration-date <date>', 'the key expires then (RFC 3339, e.g. 2030-01-01T00:00:00Z)')
    .option('-t, --import-token', "secure import: encrypt --key-material here under the instance's import token (`kp import-token create`)")
    .option('-a, --aliases <aliases>', 'aliases, comma-separated (up to 5)')
    .option('-r, --key-ring <ring>', 'create it in this key ring (default: default)')
    .action(async (name: string, options: KeyCreateOptions, command: Command) => {
      const standard = options.standardKey === true;
      if (options.importToken && options.keyMaterial === undefined) throw usageError('--import-token imports key material: add --key-material <base64|@file>');
      // Through an import token any key takes 128/192/256 bits (the material is the nonce's AES key).
      const payload = materialOption(options.keyMaterial, !standard || options.importToken === true);
      const expirationDate = options.expirationDate === undefined ? undefined : expirationDateOption(options.expirationDate);
      const client = await KpClient.open(env, options.instanceId);
      const secure = options.importToken && payload !== undefined ? await secureImport(client, Buffer.from(payload, 'base64'), options.instanceId) : undefined;
      const body = createKeyBody({
        name,
        standard,
        description: options.description,
        ...(secure ? { secureImport: secure } : { payload }),
        expirationDate,
        aliases: options.aliases === undefined ? undefined : listArgument(options.aliases),
      });
      const headers: Record<string, string> = { prefer: 'return=representation', ...(options.keyRing ? { 'x-kms-key-ring': options.keyRing } : {}) };
      const created = KpClient.first(await client.call<KpCollection<KeyView>>({ method: 'POST', path: '/keys', json: body, headers }));
      // The answer to an import may echo nothing secret, but a standard key's payload is never printed by create.
      const { payload: _payload, ...shown } = created;
      present(context, command, shown, () => {
        context.out(`Created ${standard ? 'standard' : 'root'} key ${created.name}.`);
        printKey(context, shown);
      });
    });
}
