import type { Command } from 'commander';
import type { CommandEnv } from '../command-kit';
import { registerKeyActionCommands } from './key-actions.commands';
import { registerKeyCommands } from './key.commands';

/** `keyward kp …`: Key Protect's API (docs/KMS.md) in `ibmcloud kp`'s vocabulary, `-i` for the instance. */
export function registerKpGroup(program: Command, env: CommandEnv): void {
  const kp = program.command('kp').description('Key Protect: keys, and wrapping data encryption keys with them');
  const key = kp.command('key').description('one key: create, show, wrap, rotate, delete, …');
  registerKeyCommands(kp, key, env);
  registerKeyActionCommands(key, env);
}
