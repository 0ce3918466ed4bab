import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, EXIT } from '../../cli-error';
import { present, printFields, printTable } from '../../output/output';
import { AuthSession } from '../../session/auth-session';
import { type CommandEnv, confirmed, notFound } from '../command-kit';

interface ApiKeyView {
  id: string;
  name: string;
  iam_id: string;
  account_id: string;
  disabled: boolean;
  created_at: string;
  /** Only in the answer to its creation. */
  apikey?: string;
}

interface ServiceIdView {
  iam_id: string;
  id: string;
  name: string;
  account_id: string;
  created_at: string;
}

const KEYS_HINT = 'List them with `keyward iam api-keys`';

/** `ServiceId-<uuid>` (what IBM shows) or `iam-ServiceId-<uuid>` (the iam_id) → the iam_id. */
export function serviceIdIamId(value: string): string {
  return value.startsWith('ServiceId-') ? `iam-${value}` : value;
}

async function listKeys(session: AuthSession, iamId: string | undefined): Promise<ApiKeyView[]> {
  return (await session.call<{ apikeys: ApiKeyView[] }>('iam', { method: 'GET', path: '/v1/apikeys', query: { iam_id: iamId } }, { notFoundHint: 'Check the --iam-id' })).body.apikeys;
}

export function registerIdentityCommands(iam: Command, env: CommandEnv): void {
  const { context } = env;

  iam
    .command('api-key-create')
    .description('create an API key (shown once: keep it safe)')
    .argument('<name>', 'the key name')
    .option('--iam-id <iam-id>', 'for this identity (a service ID: iam-ServiceId-…), default yourself')
    .option('--file <path>', 'write the key to this file (mode 0600) instead of printing it')
    .action(async (name: string, options: { iamId?: string; file?: string }, command: Command) => {
      const session = AuthSession.load(context);
      const iamId = options.iamId ? serviceIdIamId(options.iamId) : session.user.iamId;
      const created = (await session.call<ApiKeyView>('iam', { method: 'POST', path: '/v1/apikeys', json: { name, iam_id: iamId } }, { notFoundHint: 'Check the --iam-id' })).body;
      const { apikey, ...metadata } = created;
      if (options.file) {
        try {
          writeFileSync(options.file, JSON.stringify({ ...metadata, apikey }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
        } catch (error) {
          // The key exists now but nobody holds it: delete it rather than leave an orphan.
          await session.call('iam', { method: 'DELETE', path: `/v1/apikeys/${encodeURIComponent(created.id)}` }).catch(() => undefined);
          throw new CliError(EXIT.failed, `Cannot write ${options.file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); the key was deleted again`, 'Choose a file that does not exist yet');
        }
      }
      const shown = options.file ? { ...metadata, file: options.file } : created;
      present(context, command, shown, () => {
        context.out(`Created API key ${created.name} (${created.id}).`);
        printFields(context, [
          ['ID', created.id],
          ['Name', created.name],
          ['IAM ID', created.iam_id],
          ['API key', options.file ? `written to ${options.file}` : apikey],
        ]);
        if (!options.file) context.err('Save the API key now: it cannot be shown again.');
      });
    });

  iam
    .command('api-keys')
    .description('list API keys (never their secret)')
    .option('--iam-id <iam-id>', "this identity's keys, default yours")
    .action(async (options: { iamId?: string }, command: Command) => {
      const session = AuthSession.load(context);
      const keys = await listKeys(session, options.iamId ? serviceIdIamId(options.iamId) : undefined);
      present(context, command, keys, () =>
        printTable(
          context,
          keys,
          [
            { header: 'ID', value: (k) => k.id },
            { header: 'Name', value: (k) => k.name },
            { header: 'IAM ID', value: (k) => k.iam_id },
            { header: 'State', value: (k) => (k.disabled ? 'disabled' : 'active') },
            { header: 'Created', value: (k) => k.created_at },
          ],
          'No API keys.',
        ),
      );
    });

  iam
    .command('api-key-delete')
    .description('delete an API key (its sessions end)')
    .argument('<name-or-id>', 'the key id (ApiKey-…) or the name of one of your keys')
    .option('-f, --force', 'delete without asking')
    .action(async (nameOrId: string, options: { force?: boolean }, command: Command) => {
      const session = AuthSession.load(context);
      let id = nameOrId;
      if (!nameOrId.startsWith('ApiKey-')) {
        const matches = (await listKeys(session, undefined)).filter((k) => k.name === nameOrId);
        if (matches.length === 0) throw notFound(`You have no API key named "${nameOrId}"`, KEYS_HINT);
        if (matches.length > 1) throw notFound(`${matches.length} of your API keys are named "${nameOrId}"`, `Give its id (${matches.map((k) => k.id).join(', ')})`);
        id = (matches[0] as ApiKeyView).id;
      }
      if (!(await confirmed(context, options.force, `Delete API key ${nameOrId}?`))) {
        env.setExitCode(1);
        return;
      }
      await session.call('iam', { method: 'DELETE', path: `/v1/apikeys/${encodeURIComponent(id)}` }, { notFoundHint: KEYS_HINT });
      present(context, command, { deleted: id }, () => context.out(`Deleted API key ${nameOrId}.`));
    });

  iam
    .command('service-id-create')
    .description('create a service ID (an identity for an application)')
    .argument('<name>', 'the service ID name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const session = AuthSession.load(context);
      const created = (await session.call<ServiceIdView>('iam', { method: 'POST', path: '/v1/serviceids', json: { name } })).body;
      present(context, command, created, () => {
        context.out(`Created service ID ${created.name}.`);
        printFields(context, [
          ['ID', created.id],
          ['IAM ID', created.iam_id],
          ['Name', created.name],
          ['Account', created.account_id],
        ]);
        context.err(`Next: give it access with \`keyward iam service-policy-create ${created.id} --roles <roles> --service-name <service>\`, and a key with \`keyward iam api-key-create <name> --iam-id ${created.iam_id}\`.`);
      });
    });

  iam
    .command('account-create')
    .description('create an account (the operator only): a fresh, empty account with its Default resource group')
    .argument('<name>', 'the account name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const session = AuthSession.load(context);
      const created = (await session.call<{ id: string; name: string; default_resource_group_id: string }>('iam', { method: 'POST', path: '/v1/accounts', json: { name } })).body;
      present(context, command, created, () => {
        context.out(`Created account ${created.name}.`);
        printFields(context, [
          ['Account', created.id],
          ['Default resource group', created.default_resource_group_id],
        ]);
        context.err(`Next: an administrator for it with \`keyward iam user-create <name> --account-id ${created.id} --administrator\`.`);
      });
    });

  iam
    .command('user-create')
    .description('create a user (account administrators and the operator)')
    .argument('<name>', 'the user name')
    .option('--account-id <id>', 'in this account (default yours)')
    .option('--administrator', 'make the user an administrator of the account (every role, KeyPurge included)')
    .action(async (name: string, options: { accountId?: string; administrator?: boolean }, command: Command) => {
      const session = AuthSession.load(context);
      const json = { name, ...(options.accountId ? { account_id: options.accountId } : {}), ...(options.administrator ? { administrator: true } : {}) };
      const created = (await session.call<{ iam_id: string; name: string; account_id: string; created_at: string }>('iam', { method: 'POST', path: '/v1/users', json })).body;
      present(context, command, created, () => {
        context.out(`Created user ${created.name}.`);
        printFields(context, [
          ['IAM ID', created.iam_id],
          ['Account', created.account_id],
          ['Administrator', options.administrator ? 'yes' : 'no'],
        ]);
        context.err(`Next: an API key for it with \`keyward iam api-key-create <name> --iam-id ${created.iam_id} --file <path>\`.`);
      });
    });
}
