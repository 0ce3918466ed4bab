import type { CliContext } from '../../cli-context';
import { printFields, printTable } from '../../output/output';
import { stateName } from './kp-requests';

/** The key fields the CLI shows (KEY-PROTECT-API.md §3); `--output json` prints the KMS's resource as it is. */
export interface KeyView {
  id: string;
  name: string;
  aliases?: string[];
  description?: string;
  state?: number;
  extractable?: boolean;
  imported?: boolean;
  crn?: string;
  keyRingID?: string;
  creationDate?: string;
  lastRotateDate?: string;
  expirationDate?: string;
  deleted?: boolean;
  deletionDate?: string;
  keyVersion?: { id: string; creationDate?: string };
  dualAuthDelete?: { enabled?: boolean };
  payload?: string;
}

export const keyType = (key: KeyView): string => (key.extractable ? 'standard' : 'root');

export function printKeys(context: CliContext, keys: readonly KeyView[], withCrn: boolean, instanceArg: string): void {
  printTable(
    context,
    keys,
    [
      { header: 'Key ID', value: (k) => k.id },
      { header: 'Key Name', value: (k) => k.name },
      { header: 'Type', value: keyType },
      { header: 'State', value: (k) => stateName(k.state) },
      ...(withCrn ? [{ header: 'CRN', value: (k: KeyView) => k.crn ?? '' }] : [{ header: 'Created', value: (k: KeyView) => k.creationDate ?? '' }]),
    ],
    `No keys. Create one with \`keyward kp key create <name> -i ${instanceArg}\`.`,
  );
}

/** One key as `Label: value` lines; the payload of a standard key only when asked for. */
export function printKey(context: CliContext, key: KeyView): void {
  printFields(context, [
    ['Key ID', key.id],
    ['Key Name', key.name],
    ['Type', keyType(key)],
    ['State', stateName(key.state)],
    ['Imported', key.imported === undefined ? undefined : String(key.imported)],
    ['Aliases', key.aliases?.join(', ')],
    ['Description', key.description],
    ['Key ring', key.keyRingID],
    ['CRN', key.crn],
    ['Version', key.keyVersion?.id],
    ['Created', key.creationDate],
    ['Last rotated', key.lastRotateDate],
    ['Expires', key.expirationDate],
    ['Deleted', key.deleted ? key.deletionDate ?? 'yes' : undefined],
    ['Dual auth delete', key.dualAuthDelete?.enabled ? 'enabled' : undefined],
    ['Payload', key.payload],
  ]);
}
