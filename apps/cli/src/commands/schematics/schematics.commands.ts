import type { Command } from 'commander';
import { usageError } from '../../cli-error';
import { printFields, printTable, present } from '../../output/output';
import { AuthSession } from '../../session/auth-session';
import { type CommandEnv, confirmed } from '../command-kit';
import { type EnableOptions, enableKmsRequest, kmsInfoRequest, listInstancesRequest, locationOption } from './schematics-requests';

interface Crk {
  kms_name: string;
  key_crn: string;
  kms_private_endpoint: string;
}

interface KmsSettingsView {
  location: string;
  encryption_scheme: string;
  resource_group: string;
  primary_crk: Crk;
  secondary_crk?: Crk;
  created_at?: string;
}

interface KmsInstanceView {
  kms_name: string;
  kms_crn: string;
  kms_private_endpoint: string;
  keys: { name: string; crn: string }[];
}

function printSettings(env: CommandEnv, settings: KmsSettingsView): void {
  printFields(env.context, [
    ['Location', settings.location],
    ['Encryption scheme', settings.encryption_scheme],
    ['Resource group', settings.resource_group],
    ['Primary KMS', settings.primary_crk.kms_name],
    ['Primary key CRN', settings.primary_crk.key_crn],
    ['Primary endpoint', settings.primary_crk.kms_private_endpoint],
    ['Secondary KMS', settings.secondary_crk?.kms_name],
    ['Secondary key CRN', settings.secondary_crk?.key_crn],
    ['Secondary endpoint', settings.secondary_crk?.kms_private_endpoint],
    ['Enabled', settings.created_at],
  ]);
}

/** `keyward schematics kms …`: BYOK/KYOK settings of Schematics per location (seed 001). */
export function registerSchematicsGroup(program: Command, env: CommandEnv): void {
  const { context } = env;
  const schematics = program.command('schematics').description('Schematics: workspaces and their KMS settings');
  const kms = schematics.command('kms').description('encrypt Schematics data with your own root keys (BYOK with Key Protect, KYOK with Hyper Protect Crypto Services)');

  kms
    .command('instances')
    .description('KMS instances you can use for a location')
    .command('ls')
    .description('list the Key Protect (byok) or Hyper Protect Crypto Services (kyok) instances of a location, with their root keys')
    .option('--location <location>', 'us or eu')
    .option('--scheme <scheme>', 'byok or kyok')
    .action(async (options: { location?: string; scheme?: string }, command: Command) => {
      const request = listInstancesRequest(options);
      const session = AuthSession.load(context);
      const body = (await session.call<{ kms_instances: KmsInstanceView[] }>('schematics', request)).body;
      const rows = body.kms_instances.flatMap((instance) =>
        instance.keys.length > 0 ? instance.keys.map((key) => ({ instance, key: key as { name: string; crn: string } | undefined })) : [{ instance, key: undefined }],
      );
      present(context, command, body, () =>
        printTable(
          context,
          rows,
          [
            { header: 'KMS name', value: (row) => row.instance.kms_name },
            { header: 'KMS CRN', value: (row) => row.instance.kms_crn },
            { header: 'Endpoint', value: (row) => row.instance.kms_private_endpoint },
            { header: 'Root key', value: (row) => row.key?.name ?? 'No keys' },
            { header: 'Key CRN', value: (row) => row.key?.crn ?? '' },
          ],
          'No KMS instances you can use in this location.',
        ),
      );
    });

  kms
    .command('enable')
    .description('enable BYOK or KYOK for a location (a one-time setting: changing it later needs a support request)')
    .option('--location <location>', 'us or eu')
    .option('--scheme <scheme>', 'byok or kyok')
    .option('--group <resource_group>', 'the resource group')
    .option('--primary_name <name>', 'the primary KMS instance name')
    .option('--primary_crn <crn>', 'the primary root key CRN')
    .option('--primary_endpoint <url>', 'the primary KMS endpoint')
    .option('--secondary_name <name>', 'the secondary KMS instance name')
    .option('--secondary_crn <crn>', 'the secondary root key CRN')
    .option('--secondary_endpoint <url>', 'the secondary KMS endpoint')
    .action(async (options: EnableOptions, command: Command) => {
      const request = enableKmsRequest(options);
      const session = AuthSession.load(context);
      const settings = (await session.call<KmsSettingsView>('schematics', request)).body;
      present(context, command, settings, () => {
        context.out(`Enabled ${settings.encryption_scheme} for location ${settings.location}.`);
        printSettings(env, settings);
      });
    });

  kms
    .command('info')
    .description('show the KMS settings of a location')
    .option('--location <location>', 'us or eu')
    .action(async (options: { location?: string }, command: Command) => {
      const request = kmsInfoRequest(options);
      const session = AuthSession.load(context);
      const settings = (await session.call<KmsSettingsView>('schematics', request)).body;
      present(context, command, settings, () => printSettings(env, settings));
    });

  registerWorkspaceCommands(schematics, env);
}

interface WorkspaceView {
  id: string;
  crn: string;
  name: string;
  location: string;
  variables: { name: string; secure: boolean; value?: string }[];
  encryption: { role: string; key_crn: string; key_version: string }[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `NAME=VALUE` pairs as workspace variables. */
export function workspaceVariables(plain: readonly string[], secure: readonly string[]): { name: string; value: string; secure: boolean }[] {
  const parse = (pair: string, isSecure: boolean) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`${isSecure ? '--secure-var' : '--var'} must be NAME=VALUE`);
    return { name: pair.slice(0, at), value: pair.slice(at + 1), secure: isSecure };
  };
  return [...plain.map((p) => parse(p, false)), ...secure.map((p) => parse(p, true))];
}

/** `keyward schematics workspace …`: enough of the workspace API to see the KMS settings at work. */
function registerWorkspaceCommands(schematics: Command, env: CommandEnv): void {
  const { context } = env;
  const workspace = schematics.command('workspace').description('workspaces: their secure variables are encrypted with the location\'s root keys');
  const call = async <T>(method: 'GET' | 'POST' | 'DELETE', path: string, json?: unknown) =>
    (await AuthSession.load(context).call<T>('schematics', { method, path, ...(json === undefined ? {} : { json }) }, { notFoundHint: 'List workspaces with `keyward schematics workspace list`' })).body;

  workspace
    .command('create')
    .description('create a workspace in a location')
    .argument('<name>', 'the workspace name')
    .option('--location <location>', 'us or eu')
    .option('--group <resource_group>', 'the resource group (default "default")')
    .option('--var <name=value>', 'a variable; repeat for more', collect, [])
    .option('--secure-var <name=value>', 'a sensitive variable (stored only encrypted; prefer a value from a file in scripts); repeat for more', collect, [])
    .action(async (name: string, options: { location?: string; group?: string; var: string[]; secureVar: string[] }, command: Command) => {
      const json = { name, location: locationOption(options.location), resource_group: options.group ?? 'default', variables: workspaceVariables(options.var, options.secureVar) };
      const created = await call<WorkspaceView>('POST', '/v1/workspaces', json);
      present(context, command, created, () => {
        context.out(`Created workspace ${created.name} (${created.id}).`);
        printFields(context, [['ID', created.id], ['Location', created.location], ...created.encryption.map((e) => [`${e.role} key`, e.key_crn] as const)]);
      });
    });

  workspace
    .command('list')
    .description('list your workspaces')
    .action(async (_options: unknown, command: Command) => {
      const list = (await call<{ workspaces: WorkspaceView[] }>('GET', '/v1/workspaces')).workspaces;
      present(context, command, list, () =>
        printTable(context, list, [{ header: 'ID', value: (w) => w.id }, { header: 'Name', value: (w) => w.name }, { header: 'Location', value: (w) => w.location }, { header: 'Keys', value: (w) => w.encryption.map((e) => e.role).join(', ') }], 'No workspaces.'),
      );
    });

  workspace
    .command('variables')
    .description('read the variables with their values (secure ones decrypted through the primary key, else the secondary)')
    .argument('<id>', 'the workspace id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const list = (await call<{ variables: { name: string; value: string; secure: boolean }[] }>('GET', `/v1/workspaces/${encodeURIComponent(id)}/variables`)).variables;
      present(context, command, list, () => printTable(context, list, [{ header: 'Name', value: (v) => v.name }, { header: 'Value', value: (v) => v.value }, { header: 'Secure', value: (v) => String(v.secure) }], 'No variables.'));
    });

  workspace
    .command('delete')
    .description('delete a workspace (its key registrations go too)')
    .argument('<id>', 'the workspace id')
    .option('-f, --force', 'delete without asking')
    .action(async (id: string, options: { force?: boolean }, command: Command) => {
      if (!(await confirmed(context, options.force, `Delete workspace ${id}?`))) return env.setExitCode(1);
      await call('DELETE', `/v1/workspaces/${encodeURIComponent(id)}`);
      present(context, command, { id, deleted: true }, () => context.out(`Deleted workspace ${id}.`));
    });
}
