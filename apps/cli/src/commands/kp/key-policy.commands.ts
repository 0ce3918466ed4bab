import type { Command } from 'commander';
import { present, printFields, printTable } from '../../output/output';
import { type CommandEnv, confirmed } from '../command-kit';
import { type KpCollection, KpClient, keyPath, withInstance } from './kp-client';
import { type InstanceOptions, keysHint } from './key.commands';
import { aliasArgument, enabledOption, keyDualAuthPolicyBody, keyRotationPolicyBody, monthlyInterval } from './kp-policy-requests';

interface KeyPolicyView {
  id?: string;
  rotation?: { enabled?: boolean; interval_month?: number };
  dualAuthDelete?: { enabled?: boolean };
  lastUpdateDate?: string;
  updatedBy?: string;
}

interface EnableOptions extends InstanceOptions {
  enable?: boolean;
  disable?: boolean;
}

export function describeKeyPolicy(policy: KeyPolicyView): [string, string] {
  if (policy.rotation) return ['rotation', `${policy.rotation.enabled === false ? 'disabled' : 'enabled'}${policy.rotation.interval_month ? `, every ${policy.rotation.interval_month} month(s)` : ''}`];
  if (policy.dualAuthDelete) return ['dual-auth-delete', policy.dualAuthDelete.enabled ? 'enabled' : 'disabled'];
  return ['other', JSON.stringify(policy)];
}

/** `kp key alias-create|alias-delete`, `kp key policies`, `kp key policy-update rotation|dual-auth-delete`, `kp key schedule-delete|cancel-delete`. */
export function registerKeyPolicyCommands(key: Command, env: CommandEnv): void {
  const { context } = env;

  withInstance(key.command('alias-create').description('give a key an alias (up to 5 per key) usable wherever its id is'))
    .argument('<key>', 'the key id (or an alias)')
    .requiredOption('-a, --alias <alias>', 'the alias: 2-90 letters, digits, "_" or "-"')
    .action(async (keyId: string, options: InstanceOptions & { alias: string }, command: Command) => {
      const alias = aliasArgument(options.alias);
      const client = await KpClient.open(env, options.instanceId);
      const answer = await client.call<KpCollection<{ keyId: string; alias: string; creationDate?: string }>>({ method: 'POST', path: keyPath(keyId, `/aliases/${encodeURIComponent(alias)}`) }, { notFoundHint: keysHint(options.instanceId) });
      const created = answer.body?.resources?.[0] ?? { keyId, alias };
      present(context, command, created, () => context.out(`Created alias ${alias} for key ${created.keyId}.`));
    });

  withInstance(key.command('alias-delete').description("remove one of a key's aliases"))
    .argument('<key>', 'the key id (or an alias)')
    .requiredOption('-a, --alias <alias>', 'the alias to remove')
    .option('-f, --force', 'delete without asking')
    .action(async (keyId: string, options: InstanceOptions & { alias: string; force?: boolean }, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      if (!(await confirmed(context, options.force, `Delete alias ${options.alias} of key ${keyId}?`))) {
        env.setExitCode(1);
        return;
      }
      await client.call({ method: 'DELETE', path: keyPath(keyId, `/aliases/${encodeURIComponent(options.alias)}`) }, { notFoundHint: keysHint(options.instanceId) });
      present(context, command, { keyId, alias: options.alias, deleted: true }, () => context.out(`Deleted alias ${options.alias}.`));
    });

  withInstance(key.command('policies').description("show a key's policies (rotation, dual authorization for delete)"))
    .argument('<key>', 'the key id (or alias)')
    .action(async (keyId: string, options: InstanceOptions, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      const policies = (await client.call<KpCollection<KeyPolicyView>>({ method: 'GET', path: keyPath(keyId, '/policies') }, { notFoundHint: keysHint(options.instanceId) })).body?.resources ?? [];
      present(context, command, policies, () =>
        printTable(
          context,
          policies.map(describeKeyPolicy),
          [
            { header: 'Policy', value: (p) => p[0] },
            { header: 'Setting', value: (p) => p[1] },
          ],
          `No policies on key ${keyId}.`,
        ),
      );
    });

  withInstance(key.command('schedule-delete').description('authorize the deletion of a key with dual authorization (for 7 days); another Manager then deletes it'))
    .argument('<key>', 'the key id (or alias)')
    .action(async (keyId: string, options: InstanceOptions, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      await client.call({ method: 'POST', path: keyPath(keyId, '/actions/setKeyForDeletion') }, { notFoundHint: keysHint(options.instanceId) });
      present(context, command, { id: keyId, setForDeletion: true }, () => context.out(`Key ${keyId} may now be deleted by another Manager (for 7 days): \`keyward kp key delete ${keyId} -i ${options.instanceId}\`.`));
    });

  withInstance(key.command('cancel-delete').description('withdraw the authorization to delete a key with dual authorization'))
    .argument('<key>', 'the key id (or alias)')
    .action(async (keyId: string, options: InstanceOptions, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      await client.call({ method: 'POST', path: keyPath(keyId, '/actions/unsetKeyForDeletion') }, { notFoundHint: keysHint(options.instanceId) });
      present(context, command, { id: keyId, setForDeletion: false }, () => context.out(`Withdrew the authorization to delete key ${keyId}.`));
    });

  const update = key.command('policy-update').description("change a key's rotation or dual-authorization policy");

  withInstance(update.command('rotation').description('rotate the key automatically every 1-12 months'))
    .argument('<key>', 'the key id (or alias)')
    .option('-m, --monthly-interval <months>', 'rotate every this many months (1-12)')
    .option('-e, --enable', 'enable the policy (the default)')
    .option('-d, --disable', 'disable the policy')
    .action(async (keyId: string, options: EnableOptions & { monthlyInterval?: string }, command: Command) => {
      const enabled = enabledOption(options, true);
      const interval = options.monthlyInterval === undefined ? undefined : monthlyInterval(options.monthlyInterval);
      const client = await KpClient.open(env, options.instanceId);
      const answer = await client.call<KpCollection<KeyPolicyView>>({ method: 'PUT', path: keyPath(keyId, '/policies'), query: { policy: 'rotation' }, json: keyRotationPolicyBody(enabled, interval) }, { notFoundHint: keysHint(options.instanceId) });
      const policy = answer.body?.resources?.[0] ?? { rotation: { enabled, interval_month: interval } };
      present(context, command, policy, () => printFields(context, [['Rotation policy', describeKeyPolicy(policy)[1]]]));
    });

  withInstance(update.command('dual-auth-delete').description('require two Managers to delete the key (cannot be turned off once on)'))
    .argument('<key>', 'the key id (or alias)')
    .option('-e, --enable', 'enable dual authorization')
    .option('-d, --disable', 'disable it (only while not yet enabled)')
    .action(async (keyId: string, options: EnableOptions, command: Command) => {
      const enabled = enabledOption(options);
      const client = await KpClient.open(env, options.instanceId);
      const answer = await client.call<KpCollection<KeyPolicyView>>({ method: 'PUT', path: keyPath(keyId, '/policies'), query: { policy: 'dualAuthDelete' }, json: keyDualAuthPolicyBody(enabled) }, { notFoundHint: keysHint(options.instanceId) });
      const policy = answer.body?.resources?.[0] ?? { dualAuthDelete: { enabled } };
      present(context, command, policy, () => printFields(context, [['Dual authorization for delete', describeKeyPolicy(policy)[1]]]));
    });
}
