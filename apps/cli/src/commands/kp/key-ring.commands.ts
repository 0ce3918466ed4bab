import type { Command } from 'commander';
import { present, printTable } from '../../output/output';
import { type CommandEnv, confirmed } from '../command-kit';
import { type KpCollection, KpClient, withInstance } from './kp-client';
import type { InstanceOptions } from './key.commands';

interface KeyRingView {
  id: string;
  creationDate?: string;
  createdBy?: string;
}

const RINGS_HINT = (instance: string) => `List them with \`keyward kp key-rings -i ${instance}\``;

/** `kp key-rings`, `kp key-ring create|delete` (KEY-PROTECT-API.md §2 "Key-rings rules"). */
export function registerKeyRingCommands(kp: Command, env: CommandEnv): void {
  const { context } = env;

  withInstance(kp.command('key-rings').description('list the key rings of an instance'))
    .action(async (options: InstanceOptions, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      const rings = (await client.call<KpCollection<KeyRingView>>({ method: 'GET', path: '/key_rings' })).body?.resources ?? [];
      present(context, command, rings, () =>
        printTable(
          context,
          rings,
          [
            { header: 'Key ring ID', value: (r) => r.id },
            { header: 'Created', value: (r) => r.creationDate ?? '' },
            { header: 'Created by', value: (r) => r.createdBy ?? '' },
          ],
          'No key rings.',
        ),
      );
    });

  const ring = kp.command('key-ring').description('one key ring: create or delete');

  withInstance(ring.command('create').description('create a key ring (at most 50 per instance)'))
    .argument('<key-ring-id>', 'its id: letters, digits and "-", 2-100 characters')
    .action(async (id: string, options: InstanceOptions, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      await client.call({ method: 'POST', path: `/key_rings/${encodeURIComponent(id)}` });
      present(context, command, { id }, () => context.out(`Created key ring ${id}. Create keys in it with \`keyward kp key create <name> -i ${options.instanceId} -r ${id}\`.`));
    });

  withInstance(ring.command('delete').description('delete a key ring that holds no keys other than destroyed ones'))
    .argument('<key-ring-id>', 'its id')
    .option('-f, --force', 'delete without asking')
    .option('--move-destroyed-keys', 'also when it holds destroyed keys: they move to the default ring')
    .action(async (id: string, options: InstanceOptions & { force?: boolean; moveDestroyedKeys?: boolean }, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      if (!(await confirmed(context, options.force, `Delete key ring ${id}?`))) {
        env.setExitCode(1);
        return;
      }
      await client.call({ method: 'DELETE', path: `/key_rings/${encodeURIComponent(id)}`, query: { force: options.moveDestroyedKeys ? 'true' : undefined } }, { notFoundHint: RINGS_HINT(options.instanceId) });
      present(context, command, { deleted: id }, () => context.out(`Deleted key ring ${id}.`));
    });
}
