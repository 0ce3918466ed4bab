import { type KeyObject, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CliContext } from '../../cli-context';
import { CliError, EXIT, usageError } from '../../cli-error';
import { decryptPart } from './ceremony-crypto';

/** Where a custodian's key part comes from (`hpcs unseal` / `rotate-master-key`). */
export interface PartSourceOptions {
  /** A file holding the part in base64, as the custodian keeps it. */
  partFile?: string;
  /** The file `hpcs init` wrote for this custodian (the part encrypted to the custodian's key)… */
  encryptedPartFile?: string;
  /** …opened with the custodian's private key (PEM), here. */
  privateKey?: string;
}

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw usageError(`Cannot read ${what} from ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** A part in base64; the message never contains what was typed or read. */
function partFromBase64(text: string, where: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) throw usageError(`The key part ${where} is not base64`);
  return Buffer.from(compact, 'base64');
}

async function custodianKey(context: CliContext, path: string): Promise<KeyObject> {
  const pem = readFile(path, 'the private key');
  try {
    return createPrivateKey(pem);
  } catch {
    // Probably a passphrase-protected key: ask for the passphrase, never take it from the command line.
    if (!context.interactive) throw usageError(`Cannot read the private key in ${path}`, 'Give an RSA private key in PEM; a passphrase-protected one needs a terminal to ask for the passphrase');
    const passphrase = await context.promptSecret(`Passphrase for ${path}: `);
    try {
      return createPrivateKey({ key: pem, passphrase });
    } catch {
      throw usageError(`Cannot open the private key in ${path} with that passphrase`);
    }
  }
}

/**
 * The custodian's plain key part: from `--part-file`, from `--encrypted-part-file` opened with
 * `--private-key`, or typed at a hidden prompt. It stays in this process and is never printed.
 */
export async function readKeyPart(context: CliContext, options: PartSourceOptions): Promise<Buffer> {
  if (options.encryptedPartFile !== undefined || options.privateKey !== undefined) {
    if (options.encryptedPartFile === undefined || options.privateKey === undefined) throw usageError('--encrypted-part-file and --private-key go together');
    if (options.partFile !== undefined) throw usageError('Give either --part-file or --encrypted-part-file, not both');
    const key = await custodianKey(context, options.privateKey);
    const encrypted = readFile(options.encryptedPartFile, 'the encrypted part').trim();
    try {
      return decryptPart(key, encrypted);
    } catch {
      throw new CliError(EXIT.failed, `The part in ${options.encryptedPartFile} does not open with the key in ${options.privateKey}`, 'Use the file `keyward hpcs init` wrote for this custodian, and this custodian\'s private key');
    }
  }
  if (options.partFile !== undefined) return partFromBase64(readFile(options.partFile, 'the key part'), `in ${options.partFile}`);
  if (!context.interactive) throw usageError('No key part given and no terminal to ask for it', 'Add --part-file <file>, or --encrypted-part-file <file> --private-key <pem>, or run it at a terminal');
  return partFromBase64(await context.promptSecret('Key part (base64, not shown): '), 'you typed');
}
