import type { Command } from 'commander';
import { present, printFields } from '../../output/output';
import type { CommandEnv } from '../command-kit';
import { KpClient, withInstance } from './kp-client';
import { integerOption } from './kp-requests';
import type { InstanceOptions } from './key.commands';
import type { ImportTokenView } from './secure-import';

const TOKEN_HINT = (instance: string) => `Create one with \`keyward kp import-token create -i ${instance}\``;

function printToken(env: CommandEnv, token: ImportTokenView): void {
  printFields(env.context, [
    ['Created', token.creationDate],
    ['Expires', token.expirationDate],
    ['Max retrievals', token.maxAllowedRetrievals === undefined ? undefined : String(token.maxAllowedRetrievals)],
    ['Remaining retrievals', token.remainingRetrievals === undefined ? undefined : String(token.remainingRetrievals)],
    ['Nonce', token.nonce],
    ['Public key', token.payload ? Buffer.from(token.payload, 'base64').toString('utf8').trim() : undefined],
  ]);
}

/** `kp import-token create|show`: the instance's token for secure import (KEY-PROTECT-API.md §3). */
export function registerImportTokenCommands(kp: Command, env: CommandEnv): void {
  const { context } = env;
  const group = kp.command('import-token').description('the import token for importing key material securely');

  withInstance(group.command('create').description('create an import token: an RSA key pair held by the HSM, and a nonce'))
    .option('-e, --expiration <seconds>', 'valid for this long (300-86400; default 600)')
    .option('-m, --max-retrievals <n>', 'how many times it may be retrieved (1-500; default 1)')
    .action(async (options: InstanceOptions & { expiration?: string; maxRetrievals?: string }, command: Command) => {
      const body = {
        ...(options.expiration === undefined ? {} : { expiration: integerOption(options.expiration, '--expiration', 300, 86_400) }),
        ...(options.maxRetrievals === undefined ? {} : { maxAllowedRetrievals: integerOption(options.maxRetrievals, '--max-retrievals', 1, 500) }),
      };
      const client = await KpClient.open(env, options.instanceId);
      const token = (await client.call<ImportTokenView>({ method: 'POST', path: '/import_token', json: body })).body;
      present(context, command, token, () => {
        context.out('Created an import token.');
        printToken(env, token);
        context.err(`Next: \`keyward kp key create <name> -i ${options.instanceId} --key-material @<file> --import-token\` (each import retrieves the token once).`);
      });
    });

  withInstance(group.command('show').description("retrieve the import token: its public key and nonce (uses one of its retrievals)"))
    .action(async (options: InstanceOptions, command: Command) => {
      const client = await KpClient.open(env, options.instanceId);
      const token = (await client.call<ImportTokenView>({ method: 'GET', path: '/import_token' }, { notFoundHint: TOKEN_HINT(options.instanceId) })).body;
      present(context, command, token, () => printToken(env, token));
    });
}
