import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, usageError } from '../../cli-error';
import { present, printFields, printJson, printTable } from '../../output/output';
import { AuthSession } from '../../session/auth-session';
import { type CommandEnv, confirmed } from '../command-kit';
import { resolveInstanceGuid } from '../resource/service-instance.commands';
import { integerOption } from '../kp/kp-requests';
import { encryptPart } from './ceremony-crypto';
import { type PartSourceOptions, readKeyPart } from './ceremony-parts';

interface InstanceOptions {
  instanceId: string;
}

interface ReplicaProgress {
  replicaId?: string;
  id?: string;
  state: string;
  threshold?: number;
  submitted?: number;
  generation?: number;
  awaitingRotationParts?: boolean;
  rotation?: { generation: number; submitted: number; ready: boolean };
}

interface DomainStatus {
  domainId: string;
  state: 'uninitialized' | 'sealed' | 'active';
  threshold?: number;
  submitted?: number;
  generation?: number;
  ceremonyPublicKey?: string;
  replicas?: ReplicaProgress[];
}

interface UnitInfo {
  instance_id: string;
  crn: string;
  region: string;
  key_management_endpoint: string;
  domain: DomainStatus;
}

const CUSTODIAN_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** A Manager on the hs-crypto instance runs ceremonies; say so rather than the generic hint. */
function hpcsHint(code: string | undefined, instance: string): string | undefined {
  switch (code) {
    case 'UNAUTHORIZED_ERR':
      return `Ceremonies need the Manager role on the hs-crypto instance ${instance} (\`keyward iam user-policy-create <iam_id> --roles Manager --service-name hs-crypto --service-instance <guid>\`); a Key Protect instance has no crypto unit`;
    case 'CEREMONY_PART_INVALID_ERR':
      return "That part does not belong to this crypto unit's ceremony: check the custodian's file and key";
    default:
      return undefined;
  }
}

/** Calls to `/crypto_v1/instances/{guid}` on the KMS, with ceremony-specific next steps. */
class CryptoUnit {
  private constructor(
    private readonly session: AuthSession,
    readonly guid: string,
    private readonly instanceArg: string,
  ) {}

  static async open(env: CommandEnv, instanceArg: string): Promise<CryptoUnit> {
    const session = AuthSession.load(env.context);
    return new CryptoUnit(session, await resolveInstanceGuid(session, instanceArg), instanceArg);
  }

  async call<T>(method: 'GET' | 'POST', suffix: string, json?: unknown): Promise<T> {
    try {
      return (await this.session.call<T>('kms', { method, path: `/crypto_v1/instances/${this.guid}${suffix}`, json }, { renewOnUnauthorized: true })).body;
    } catch (error) {
      const hint = error instanceof CliError ? hpcsHint(error.code, this.instanceArg) : undefined;
      if (!(error instanceof CliError) || !hint) throw error;
      throw new CliError(error.exitCode, error.message, hint, error.code, error.requestId);
    }
  }

  info(): Promise<UnitInfo> {
    return this.call<UnitInfo>('GET', '');
  }
}

function printReplicas(env: CommandEnv, replicas: readonly ReplicaProgress[]): void {
  printTable(
    env.context,
    replicas,
    [
      { header: 'Replica', value: (r) => r.replicaId ?? r.id ?? '' },
      { header: 'State', value: (r) => (r.awaitingRotationParts ? `${r.state} (awaiting rotation parts)` : r.state) },
      { header: 'Parts', value: (r) => (r.threshold ? `${r.submitted ?? 0}/${r.threshold}` : '') },
      { header: 'Rotation', value: (r) => (r.rotation ? `${r.rotation.submitted} parts${r.rotation.ready ? ', ready' : ''}` : '') },
    ],
    'No HSM replica answered: is the HSM running? Check `keyward status`.',
  );
}

/** `--custodian name=public-key.pem`, repeatable. */
function collectCustodian(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function custodians(values: readonly string[]): { name: string; publicKey: string }[] {
  if (values.length === 0) throw usageError('Name at least one custodian: --custodian <name>=<public-key.pem>');
  const seen = new Set<string>();
  return values.map((value) => {
    const at = value.indexOf('=');
    const name = at > 0 ? value.slice(0, at) : '';
    const path = value.slice(at + 1);
    if (!CUSTODIAN_NAME.test(name) || path.length === 0) throw usageError(`--custodian ${value} is not <name>=<public-key.pem>`, 'Names are letters, digits, ".", "_" or "-" (they name the part files)');
    if (seen.has(name)) throw usageError(`Custodian ${name} is named twice`);
    seen.add(name);
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('not RSA-2048+');
    } catch {
      throw usageError(`${path} (custodian ${name}) is not an RSA public key of at least 2048 bits in PEM`, 'Make one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out key.pem && openssl pkey -in key.pem -pubout -out key.pub.pem`');
    }
    return { name, publicKey: createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString() };
  });
}

/**
 * `keyward hpcs …`: KYOK ceremonies on a Hyper Protect Crypto Services instance's crypto unit
 * (`/crypto_v1`, docs/KMS.md). Parts are encrypted here to the domain's ceremony key (hybrid format,
 * docs/HSM.md) so only the HSM can read them; they are never printed, logged or sent in the clear.
 */
export function registerHpcsGroup(program: Command, env: CommandEnv): void {
  const { context } = env;
  const hpcs = program.command('hpcs').description("Hyper Protect Crypto Services: the crypto unit's master-key ceremonies (Managers only)");
  const instanceOption = (command: Command) => command.requiredOption('-i, --instance-id <instance>', 'the hs-crypto instance: GUID, name or CRN');

  instanceOption(hpcs.command('status').description("show the crypto unit: its state, threshold, parts submitted, and each HSM replica"))
    .action(async (options: InstanceOptions, command: Command) => {
      const unit = await CryptoUnit.open(env, options.instanceId);
      const info = await unit.info();
      const { ceremonyPublicKey: _key, ...domain } = info.domain;
      present(context, command, info, () => {
        printFields(context, [
          ['Instance', info.instance_id],
          ['CRN', info.crn],
          ['Region', info.region],
          ['Key Protect API', `${info.key_management_endpoint} (Bluemix-Instance: ${info.instance_id})`],
          ['State', domain.state],
          ['Threshold', domain.threshold === undefined ? undefined : String(domain.threshold)],
          ['Parts submitted', domain.submitted === undefined ? undefined : String(domain.submitted)],
          ['Master key generation', domain.generation === undefined ? undefined : String(domain.generation)],
        ]);
        if (domain.replicas && domain.replicas.length > 0) {
          context.out('');
          printReplicas(env, domain.replicas);
        }
        if (domain.state === 'uninitialized') context.err(`Next: \`keyward hpcs init -i ${options.instanceId} --threshold <m> --custodian <name>=<public-key.pem> … --out-dir <dir>\`.`);
        if (domain.state === 'sealed') context.err(`Next: custodians submit their parts with \`keyward hpcs unseal -i ${options.instanceId}\`.`);
      });
    });

  instanceOption(hpcs.command('init').description("run the master-key ceremony: one part per custodian, encrypted to the custodian's RSA key and written to --out-dir"))
    .requiredOption('--threshold <m>', 'how many parts unseal the crypto unit')
    .option('--custodian <name=public-key.pem>', "a custodian and the RSA public key (PEM, ≥2048 bits) its part is encrypted to; repeat for each", collectCustodian, [])
    .requiredOption('--out-dir <dir>', 'where to write each custodian\'s encrypted part (<name>.part) and the ceremony public key')
    .option('--rotation', 'a rotation ceremony: new parts for a new master key, submitted with `hpcs rotate-master-key`')
    .action(async (options: InstanceOptions & { threshold: string; custodian: string[]; outDir: string; rotation?: boolean }, command: Command) => {
      const list = custodians(options.custodian);
      const threshold = integerOption(options.threshold, '--threshold', 1, list.length);
      // The parts are returned once: make sure they can be written before asking for them.
      mkdirSync(options.outDir, { recursive: true, mode: 0o700 });
      const files = list.map((c) => join(options.outDir, `${c.name}.part`));
      const taken = files.filter((file) => existsSync(file));
      if (taken.length > 0) throw usageError(`${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}: parts are never overwritten`, 'Choose another --out-dir');
      const unit = await CryptoUnit.open(env, options.instanceId);
      const result = await unit.call<{ ceremonyPublicKey: string; threshold: number; generation?: number; parts: { name: string; encryptedPart: string }[] }>('POST', '/ceremony/init', {
        threshold,
        custodians: list,
        ...(options.rotation ? { rotation: true } : {}),
      });
      let written: { custodian: string; file: string }[];
      try {
        written = result.parts.map((part) => {
          const file = join(options.outDir, `${part.name}.part`);
          writeFileSync(file, `${part.encryptedPart}\n`, { mode: 0o600, flag: 'wx' });
          return { custodian: part.name, file };
        });
      } catch (error) {
        // The parts exist nowhere else: print them (each is readable by its custodian's key alone) rather than lose them.
        printJson(context, { parts: result.parts });
        throw new CliError(EXIT.failed, `Cannot write the parts to ${options.outDir} (${(error as NodeJS.ErrnoException).code ?? 'error'}); they are printed above, encrypted to each custodian`, 'Save each custodian\'s encryptedPart to a file for them');
      }
      const publicKeyFile = join(options.outDir, 'ceremony-public-key.pem');
      writeFileSync(publicKeyFile, result.ceremonyPublicKey, { mode: 0o644 });
      const submit = options.rotation ? 'rotate-master-key' : 'unseal';
      present(context, command, { instance_id: unit.guid, threshold: result.threshold, generation: result.generation, parts: written, ceremony_public_key_file: publicKeyFile }, () => {
        context.out(`${options.rotation ? 'Rotation ceremony' : 'Ceremony'} done: ${written.length} parts, any ${result.threshold} of them ${options.rotation ? 'install the new master key' : 'unseal the crypto unit'}.`);
        printTable(context, written, [
          { header: 'Custodian', value: (w) => w.custodian },
          { header: 'Encrypted part', value: (w) => w.file },
        ], '');
        context.err(`Next: give each custodian its file; each runs \`keyward hpcs ${submit} -i ${options.instanceId} --encrypted-part-file <file> --private-key <their key.pem>\`.`);
      });
    });

  const submitCommand = (name: 'unseal' | 'rotate-master-key', description: string) =>
    instanceOption(hpcs.command(name).description(description))
      .option('--part-file <file>', 'a file holding your key part (base64)')
      .option('--encrypted-part-file <file>', 'the file `hpcs init` wrote for you (opened here with --private-key)')
      .option('--private-key <pem-file>', 'your RSA private key (PEM); a passphrase is asked at the terminal')
      .addHelpText('after', '\nWithout a file the part is asked for at a hidden prompt. It is encrypted here to the crypto unit\'s ceremony key; it is never shown, logged or sent in the clear.')
      .action(async (options: InstanceOptions & PartSourceOptions, command: Command) => {
        const part = await readKeyPart(context, options);
        const unit = await CryptoUnit.open(env, options.instanceId);
        let encryptedPart: string;
        try {
          const info = await unit.info();
          if (!info.domain.ceremonyPublicKey) throw new CliError(EXIT.refused, `The crypto unit of ${options.instanceId} has had no ceremony yet`, `Run \`keyward hpcs init -i ${options.instanceId} …\` first`);
          encryptedPart = encryptPart(info.domain.ceremonyPublicKey, part);
        } finally {
          part.fill(0);
        }
        const { replicas } = await unit.call<{ replicas: ReplicaProgress[] }>('POST', `/${name}`, { encryptedPart });
        present(context, command, { instance_id: unit.guid, replicas }, () => {
          context.out(`Part accepted by ${replicas.length} HSM replica${replicas.length === 1 ? '' : 's'}.`);
          printReplicas(env, replicas);
          if (name === 'unseal' && replicas.length > 0 && replicas.every((r) => r.state === 'active')) context.err('The crypto unit is active: its keys work.');
          else if (name === 'unseal') context.err('More parts are needed: the next custodian runs the same command with their part.');
        });
      });

  submitCommand('unseal', "submit your key part to load the crypto unit's master key (each HSM replica; active at the threshold)");
  submitCommand('rotate-master-key', 'submit your part of a rotation ceremony (`hpcs init --rotation`); at the threshold the keys move to the new master key');

  instanceOption(hpcs.command('seal').description('forget the master key in every HSM replica: keys stop working until custodians unseal again'))
    .option('-f, --force', 'seal without asking')
    .action(async (options: InstanceOptions & { force?: boolean }, command: Command) => {
      const unit = await CryptoUnit.open(env, options.instanceId);
      if (!(await confirmed(context, options.force, `Seal the crypto unit of ${options.instanceId}? Its keys stop working until the custodians unseal it.`, 'seal'))) {
        env.setExitCode(1);
        return;
      }
      const { replicas } = await unit.call<{ replicas: ReplicaProgress[] }>('POST', '/seal');
      present(context, command, { instance_id: unit.guid, replicas }, () => {
        context.out(`Sealed the crypto unit of ${options.instanceId}.`);
        printReplicas(env, replicas);
      });
    });
}
