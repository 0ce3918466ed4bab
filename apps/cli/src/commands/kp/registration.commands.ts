import type { Command } from 'commander';
import { present, printTable } from '../../output/output';
import type { CommandEnv } from '../command-kit';
import { type KpCollection, KpClient, keyPath, withInstance } from './kp-client';
import { keysHint, type InstanceOptions } from './key.commands';
import { integerOption } from './kp-requests';

interface RegistrationView {
  keyId: string;
  keyName?: string;
  resourceCrn: string;
  preventKeyDeletion?: boolean;
  creationDate?: string;
  keyVersion?: { id: string };
}

/**
 * `kp registrations`: which resources (a database, a bucket…) registered which root keys. Services
 * write registrations themselves (service-to-service); people only read them.
 */
export function registerRegistrationCommands(kp: Command, env: CommandEnv): void {
  const { context } = env;
  withInstance(kp.command('registrations').description('list the registrations of the instance, or of one key'))
    .option('-k, --key-id <key>', "only this key's registrations")
    .option('-c, --crn-pattern <crn>', 'only resources whose CRN matches (`*` as a wildcard)')
    .option('--prevent-key-deletion', 'only registrations that prevent the key from being deleted')
    .option('-n, --number-of-registrations <n>', 'at most this many (default 200)')
    .option('-s, --starting-offset <n>', 'skip this many')
    .action(async (options: InstanceOptions & { keyId?: string; crnPattern?: string; preventKeyDeletion?: boolean; numberOfRegistrations?: string; startingOffset?: string }, command: Command) => {
      const query = {
        urlEncodedResourceCRNQuery: options.crnPattern,
        preventKeyDeletion: options.preventKeyDeletion ? 'true' : undefined,
        limit: options.numberOfRegistrations === undefined ? undefined : String(integerOption(options.numberOfRegistrations, '--number-of-registrations', 1, 5000)),
        offset: options.startingOffset === undefined ? undefined : String(integerOption(options.startingOffset, '--starting-offset')),
      };
      const client = await KpClient.open(env, options.instanceId);
      const path = options.keyId ? keyPath(options.keyId, '/registrations') : '/keys/registrations';
      const registrations = (await client.call<KpCollection<RegistrationView>>({ method: 'GET', path, query }, { notFoundHint: keysHint(options.instanceId) })).body?.resources ?? [];
      present(context, command, registrations, () =>
        printTable(
          context,
          registrations,
          [
            { header: 'Key ID', value: (r) => r.keyId },
            { header: 'Resource CRN', value: (r) => r.resourceCrn },
            { header: 'Prevents deletion', value: (r) => (r.preventKeyDeletion ? 'yes' : 'no') },
            { header: 'Key version', value: (r) => r.keyVersion?.id ?? '' },
            { header: 'Created', value: (r) => r.creationDate ?? '' },
          ],
          'No registrations.',
        ),
      );
    });
}
