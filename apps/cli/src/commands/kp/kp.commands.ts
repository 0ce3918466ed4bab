import type { Command } from 'commander';
import type { CommandEnv } from '../command-kit';
import { registerImportTokenCommands } from './import-token.commands';
import { registerInstancePolicyCommands } from './instance-policy.commands';
import { registerKeyActionCommands } from './key-actions.commands';
import { registerKeyPolicyCommands } from './key-policy.commands';
import { registerKeyRingCommands } from './key-ring.commands';
import { registerKeyCommands } from './key.commands';
import { registerRegistrationCommands } from './registration.commands';

/** `keyward kp …`: Key Protect's API (docs/KMS.md) in `ibmcloud kp`'s vocabulary, `-i` for the instance. */
export function registerKpGroup(program: Command, env: CommandEnv): void {
  const kp = program.command('kp').description('Key Protect: keys, key rings, policies, import tokens, registrations');
  const key = kp.command('key').description('one key: create, show, wrap, rotate, delete, …');
  registerKeyCommands(kp, key, env);
  registerKeyActionCommands(key, env);
  // Part 2 of the KMS (key rings, aliases, policies, import tokens, registrations).
  registerKeyPolicyCommands(key, env);
  registerImportTokenCommands(kp, env);
  registerKeyRingCommands(kp, env);
  registerInstancePolicyCommands(kp, env);
  registerRegistrationCommands(kp, env);
}
