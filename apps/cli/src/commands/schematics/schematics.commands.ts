import type { Command } from 'commander';
import { printFields, printTable, present } from '../../output/output';
import { AuthSession } from '../../session/auth-session';
import type { CommandEnv } from '../command-kit';
import { type EnableOptions, enableKmsRequest, kmsInfoRequest, listInstancesRequest } from './schematics-requests';

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
}
