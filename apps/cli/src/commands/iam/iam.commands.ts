import type { Command } from 'commander';
import type { CommandEnv } from '../command-kit';
import { registerAccessPolicyCommands } from './access-policy.commands';
import { registerAuthorizationPolicyCommands } from './authorization-policy.commands';
import { registerIdentityCommands } from './identity.commands';

export function registerIamGroup(program: Command, env: CommandEnv): void {
  const iam = program.command('iam').description('authorizations, API keys, service IDs and access policies');
  registerAuthorizationPolicyCommands(iam, env);
  registerIdentityCommands(iam, env);
  registerAccessPolicyCommands(iam, env);
}
