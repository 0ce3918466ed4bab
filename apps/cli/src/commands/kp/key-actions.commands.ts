import type { Command } from 'commander';
import { present, printFields } from '../../output/output';
import type { CommandEnv } from '../command-kit';
import { KpClient, keyPath, withInstance } from './kp-client';
import { type InstanceOptions, keysHint } from './key.commands';
import { aadOption, base64Argument } from './kp-requests';

interface ActionOptions extends InstanceOptions {
  aad?: string;
}

interface ActionAnswer {
  ciphertext?: string;
  plaintext?: string;
  keyVersion?: { id: string };
  rewrappedKeyVersion?: { id: string };
}

const AAD_HELP = 'additional authenticated data: strings, comma-separated (the same must be given to unwrap)';

/** The wrap/unwrap/rewrap answer as fields; the DEK is printed because the user asked for it. */
function printAnswer(env: CommandEnv, answer: ActionAnswer): void {
  printFields(env.context, [
    ['Ciphertext', answer.ciphertext],
    ['Plaintext', answer.plaintext],
    ['Key version', answer.keyVersion?.id],
    ['Rewrapped with', answer.rewrappedKeyVersion?.id],
  ]);
}

/** `kp key wrap|unwrap|rewrap`: envelope encryption of data encryption keys (DEKs) with a root key. */
export function registerKeyActionCommands(key: Command, env: CommandEnv): void {
  const { context } = env;

  withInstance(key.command('wrap').description('wrap (encrypt) a data encryption key with a root key; without -p, a new 256-bit DEK is generated and shown'))
    .argument('<key>', 'the root key id (or alias)')
    .option('-p, --plaintext <base64>', 'the DEK to wrap (base64, or @<file>)')
    .option('-a, --aad <strings>', AAD_HELP)
    .action(async (keyId: string, options: ActionOptions & { plaintext?: string }, command: Command) => {
      const plaintext = options.plaintext === undefined ? undefined : base64Argument(options.plaintext, 'the DEK', '--plaintext');
      const aad = aadOption(options.aad);
      const client = await KpClient.open(env, options.instanceId);
      const answer = (await client.call<ActionAnswer>({ method: 'POST', path: keyPath(keyId, '/actions/wrap'), json: { ...(plaintext ? { plaintext } : {}), ...(aad ? { aad } : {}) } }, { notFoundHint: keysHint(options.instanceId) })).body;
      present(context, command, answer, () => {
        printAnswer(env, answer);
        if (answer.plaintext) context.err('Keep the plaintext DEK secret; store only the ciphertext.');
      });
    });

  withInstance(key.command('unwrap').description('unwrap (decrypt) a wrapped data encryption key'))
    .argument('<key>', 'the root key id (or alias)')
    .argument('<ciphertext>', 'the wrapped DEK as wrap gave it (or @<file>)')
    .option('-a, --aad <strings>', AAD_HELP)
    .action(async (keyId: string, ciphertextArg: string, options: ActionOptions, command: Command) => {
      const ciphertext = base64Argument(ciphertextArg, 'the ciphertext', 'CIPHERTEXT');
      const aad = aadOption(options.aad);
      const client = await KpClient.open(env, options.instanceId);
      const answer = (await client.call<ActionAnswer>({ method: 'POST', path: keyPath(keyId, '/actions/unwrap'), json: { ciphertext, ...(aad ? { aad } : {}) } }, { notFoundHint: keysHint(options.instanceId) })).body;
      present(context, command, answer, () => {
        printAnswer(env, answer);
        if (answer.rewrappedKeyVersion) context.err('The key was rotated since: store the new ciphertext above.');
      });
    });

  withInstance(key.command('rewrap').description("re-wrap a wrapped DEK with the root key's newest version"))
    .argument('<key>', 'the root key id (or alias)')
    .argument('<ciphertext>', 'the wrapped DEK (or @<file>)')
    .option('-a, --aad <strings>', AAD_HELP)
    .action(async (keyId: string, ciphertextArg: string, options: ActionOptions, command: Command) => {
      const ciphertext = base64Argument(ciphertextArg, 'the ciphertext', 'CIPHERTEXT');
      const aad = aadOption(options.aad);
      const client = await KpClient.open(env, options.instanceId);
      const answer = (await client.call<ActionAnswer>({ method: 'POST', path: keyPath(keyId, '/actions/rewrap'), json: { ciphertext, ...(aad ? { aad } : {}) } }, { notFoundHint: keysHint(options.instanceId) })).body;
      present(context, command, answer, () => printAnswer(env, answer));
    });
}
