import type { Command } from 'commander';
import { usageError } from '../../cli-error';
import { present, printTable } from '../../output/output';
import type { CommandEnv } from '../command-kit';
import { type KpCollection, KpClient, withInstance } from './kp-client';
import type { InstanceOptions } from './key.commands';
import { ALLOWED_NETWORKS, type InstancePolicyType, enabledOption, instancePolicyBody, monthlyInterval } from './kp-policy-requests';

interface InstancePolicyView {
  policy_type: string;
  policy_data?: { enabled?: boolean; attributes?: Record<string, unknown> };
  lastUpdated?: string;
  updatedBy?: string;
}

interface EnableOptions extends InstanceOptions {
  enable?: boolean;
  disable?: boolean;
}

const IMPORT_ACCESS_FLAGS = [
  ['createRootKey', 'create_root_key', 'allow creating root keys'],
  ['createStandardKey', 'create_standard_key', 'allow creating standard keys'],
  ['importRootKey', 'import_root_key', 'allow importing root keys'],
  ['importStandardKey', 'import_standard_key', 'allow importing standard keys'],
  ['enforceToken', 'enforce_token', 'allow imports only through an import token'],
] as const;

/** `true`/`false` for the keyCreateImportAccess attributes, else exit 2. */
function booleanOption(value: string, flag: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw usageError(`${flag} is true or false`);
}

async function put(env: CommandEnv, command: Command, options: InstanceOptions, type: InstancePolicyType, body: unknown, done: string): Promise<void> {
  const client = await KpClient.open(env, options.instanceId);
  await client.call({ method: 'PUT', path: '/instance/policies', query: { policy: type }, json: body });
  present(env.context, command, body, () => env.context.out(done));
}

/** `kp instance policies` and `kp instance policy-update dual-auth-delete|rotation|allowed-network|metrics|key-create-import-access`. */
export function registerInstancePolicyCommands(kp: Command, env: CommandEnv): void {
  const { context } = env;
  const instance = kp.command('instance').description("the instance's policies");

  withInstance(instance.command('policies').description("show the instance's policies (only those that were set)"))
    .action(async (options: InstanceOptions, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      const policies = (await client.call<KpCollection<InstancePolicyView>>({ method: 'GET', path: '/instance/policies' })).body?.resources ?? [];
      present(context, command, policies, () =>
        printTable(
          context,
          policies,
          [
            { header: 'Policy', value: (p) => p.policy_type },
            { header: 'Enabled', value: (p) => String(p.policy_data?.enabled ?? '') },
            { header: 'Attributes', value: (p) => (p.policy_data?.attributes ? JSON.stringify(p.policy_data.attributes) : '') },
            { header: 'Updated', value: (p) => p.lastUpdated ?? '' },
          ],
          'No instance policies are set.',
        ),
      );
    });

  const update = instance.command('policy-update').description('set one of the instance\'s policies');
  const enableFlags = (command: Command) => command.option('-e, --enable', 'enable the policy').option('-d, --disable', 'disable the policy');

  enableFlags(withInstance(update.command('dual-auth-delete').description('require two Managers to delete any key of the instance')))
    .action(async (options: EnableOptions, command: Command) => {
      const enabled = enabledOption(options);
      await put(env, command, options, 'dualAuthDelete', instancePolicyBody('dualAuthDelete', enabled), `Dual authorization for delete is ${enabled ? 'enabled' : 'disabled'} for new keys of ${options.instanceId}.`);
    });

  enableFlags(withInstance(update.command('rotation').description('rotate new root keys automatically')))
    .option('-m, --monthly-interval <months>', 'every this many months (1-12)')
    .action(async (options: EnableOptions & { monthlyInterval?: string }, command: Command) => {
      const enabled = enabledOption(options);
      const interval = options.monthlyInterval === undefined ? undefined : monthlyInterval(options.monthlyInterval);
      await put(env, command, options, 'rotation', instancePolicyBody('rotation', enabled, interval === undefined ? undefined : { interval_month: interval }), `Rotation policy ${enabled ? 'enabled' : 'disabled'}.`);
    });

  enableFlags(withInstance(update.command('allowed-network').description('accept requests from public and private networks, or private only')))
    .option('-n, --network-type <type>', `${ALLOWED_NETWORKS.join(' or ')}`)
    .action(async (options: EnableOptions & { networkType?: string }, command: Command) => {
      const enabled = enabledOption(options);
      if (options.networkType !== undefined && !(ALLOWED_NETWORKS as readonly string[]).includes(options.networkType)) throw usageError(`--network-type is ${ALLOWED_NETWORKS.join(' or ')}`);
      if (enabled && options.networkType === undefined) throw usageError('Enabling the policy needs --network-type', `Add --network-type ${ALLOWED_NETWORKS.join('|')}`);
      const attributes = options.networkType === undefined ? undefined : { allowed_network: options.networkType };
      await put(env, command, options, 'allowedNetwork', instancePolicyBody('allowedNetwork', enabled, attributes), `Allowed-network policy ${enabled ? `enabled (${options.networkType})` : 'disabled'}.`);
    });

  enableFlags(withInstance(update.command('metrics').description("publish the instance's operational metrics")))
    .action(async (options: EnableOptions, command: Command) => {
      const enabled = enabledOption(options);
      await put(env, command, options, 'metrics', instancePolicyBody('metrics', enabled), `Metrics policy ${enabled ? 'enabled' : 'disabled'}.`);
    });

  const importAccess = enableFlags(withInstance(update.command('key-create-import-access').description('which keys may be created or imported, and whether imports need an import token')));
  for (const [, attribute, help] of IMPORT_ACCESS_FLAGS) importAccess.option(`--${attribute.replace(/_/g, '-')} <true|false>`, help);
  importAccess.action(async (options: EnableOptions & Partial<Record<(typeof IMPORT_ACCESS_FLAGS)[number][0], string>>, command: Command) => {
    const enabled = enabledOption(options);
    const attributes: Record<string, boolean> = {};
    for (const [key, attribute] of IMPORT_ACCESS_FLAGS) {
      const value = options[key];
      if (value !== undefined) attributes[attribute] = booleanOption(value, `--${attribute.replace(/_/g, '-')}`);
    }
    await put(env, command, options, 'keyCreateImportAccess', instancePolicyBody('keyCreateImportAccess', enabled, attributes), `Key create/import policy ${enabled ? 'enabled' : 'disabled'}.`);
  });
}
