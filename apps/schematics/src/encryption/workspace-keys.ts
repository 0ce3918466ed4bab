import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { DomainError } from '@keyward/contracts';
import { type KeyRef, KmsClient, KmsClientError, keyRefFromCrn, parseKeyCrn } from '@keyward/kms-client';
import { LOGGER, MetricsService } from '@keyward/platform';
import { KeyStateRepository } from '../key-events/key-state.repository';
import { newDek } from './workspace-cipher';

/** Key Protect keeps a deleted key restorable for 30 days. */
const RESTORE_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

/** A root key a workspace's DEK is wrapped by; `endpoint` is the KMS base URL (undefined: the default KMS). */
export interface RootKeyChoice {
  role: 'primary' | 'secondary' | 'default';
  keyCrn: string;
  endpoint?: string;
}

/** The DEK in one root key's wrapped form, as stored in `workspaces.data_keys` (never the DEK). */
export interface StoredDataKey {
  role: RootKeyChoice['role'];
  keyCrn: string;
  endpoint?: string;
  wrappedDek: string;
  keyVersionId: string;
}

/**
 * A workspace's data key: created locally, wrapped by every chosen root key (the primary and the
 * secondary: the same DEK, so either can open the data), registered at each key's KMS for the
 * workspace CRN. Reads unwrap through the first key and fail over to the next when a key is disabled,
 * deleted or its KMS unreachable; failovers are logged and counted.
 */
@Injectable()
export class WorkspaceKeys {
  private readonly failovers: Counter<'from_role' | 'reason'>;

  constructor(
    private readonly client: KmsClient,
    private readonly keyStates: KeyStateRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.failovers = new Counter({
      name: 'keyward_schematics_kms_failovers_total',
      help: 'Workspace reads that could not unwrap through a root key and went on to the next (primary → secondary)',
      labelNames: ['from_role', 'reason'],
      registers: [metrics.registry],
    });
  }

  /** A new DEK wrapped by every key and registered for `workspaceCrn`; the DEK is returned for this request only. */
  async create(keys: readonly RootKeyChoice[], workspaceCrn: string): Promise<{ dek: Buffer; dataKeys: StoredDataKey[] }> {
    const dek = newDek();
    try {
      return { dek, dataKeys: await this.wrapWith(dek, keys, workspaceCrn) };
    } catch (error) {
      dek.fill(0);
      throw error;
    }
  }

  /** `dek` wrapped by every key and registered for `workspaceCrn` (re-encryption keeps the DEK, so the data stays as it is). */
  async wrapWith(dek: Buffer, keys: readonly RootKeyChoice[], workspaceCrn: string): Promise<StoredDataKey[]> {
    const dataKeys: StoredDataKey[] = [];
    for (const key of keys) {
      const ref = this.ref(key, workspaceCrn);
      const wrapped = await this.client.wrap(ref, { plaintext: dek.toString('base64') }).catch((error: unknown) => rethrow(error, key));
      await this.client.register(ref, { description: `Schematics workspace (${key.role} key)` }).catch((error: unknown) => {
        // Already registered (a re-encryption run again after a crash): the registration is what we want.
        if (error instanceof KmsClientError && error.status === 409) return;
        rethrow(error, key);
      });
      dataKeys.push({ role: key.role, keyCrn: key.keyCrn, ...(key.endpoint ? { endpoint: key.endpoint } : {}), wrappedDek: wrapped.ciphertext, keyVersionId: wrapped.keyVersion.id });
    }
    return dataKeys;
  }

  /** The DEK, through the first key that can unwrap it. Throws only when none can. */
  async open(dataKeys: readonly StoredDataKey[], workspaceCrn: string): Promise<Buffer> {
    let last: unknown = new DomainError('INTERNAL_ERR', 'The workspace has no data key');
    for (const [index, dataKey] of dataKeys.entries()) {
      try {
        const result = await this.client.unwrap(this.ref(dataKey, workspaceCrn), { ciphertext: dataKey.wrappedDek });
        return Buffer.from(result.plaintext, 'base64');
      } catch (error) {
        last = error;
        if (!(error instanceof KmsClientError)) throw error;
        if (index < dataKeys.length - 1) {
          this.failovers.inc({ from_role: dataKey.role, reason: error.code });
          this.logger.warn({ workspaceCrn, keyCrn: dataKey.keyCrn, role: dataKey.role, code: error.code, status: error.status }, 'KMS failover: unwrapping through the next root key');
        }
      }
    }
    throw await this.explain(dataKeys, last);
  }

  /** Why no key could serve: the key states the lifecycle events reported, else the KMS's own answer. */
  private async explain(dataKeys: readonly StoredDataKey[], last: unknown): Promise<unknown> {
    if (!(last instanceof KmsClientError)) return last;
    const ids = dataKeys.map((k) => parseKeyCrn(k.keyCrn)?.keyId ?? '');
    const states = await this.keyStates.find(ids);
    const reasons: string[] = [];
    let purged = 0;
    for (const [index, dataKey] of dataKeys.entries()) {
      const state = states.get(ids[index] ?? '');
      const key = `the ${dataKey.role} root key ${dataKey.keyCrn}`;
      if (state?.eventType === 'key.disabled') reasons.push(`${key} is disabled (state 2)`);
      else if (state?.eventType === 'key.deleted') reasons.push(`${key} was deleted (state 5); it is restorable until ${new Date(state.eventTime.getTime() + RESTORE_WINDOW_MS).toISOString()}`);
      else if (state?.eventType === 'key.purged') {
        purged += 1;
        reasons.push(`${key} was purged`);
      }
    }
    if (purged > 0 && purged === dataKeys.length) {
      return new DomainError('KMS_KEY_PURGED_ERR', `The workspace data is unrecoverable: ${reasons.join('; ')}`, { cause: last });
    }
    if (reasons.length > 0) return new DomainError('KMS_KEY_UNAVAILABLE_ERR', `The workspace data cannot be read: ${reasons.join('; ')}`, { cause: last });
    return toDomain(last);
  }

  /** Rewraps the stored form under the key's newest version (after `key.rotated`). */
  async rewrap(dataKey: StoredDataKey, workspaceCrn: string): Promise<StoredDataKey> {
    const result = await this.client.rewrap(this.ref(dataKey, workspaceCrn), { ciphertext: dataKey.wrappedDek });
    return { ...dataKey, wrappedDek: result.ciphertext, keyVersionId: result.rewrappedKeyVersion?.id ?? result.keyVersion.id };
  }

  /** Drops the registrations of a deleted workspace (a purged key's 404 counts as done). */
  async unregister(dataKeys: readonly StoredDataKey[], workspaceCrn: string): Promise<void> {
    for (const dataKey of dataKeys) {
      await this.client.unregister(this.ref(dataKey, workspaceCrn)).catch((error: unknown) => {
        this.logger.warn({ workspaceCrn, keyCrn: dataKey.keyCrn, code: error instanceof KmsClientError ? error.code : 'unknown' }, 'could not remove a KMS registration');
      });
    }
  }

  private ref(key: { keyCrn: string; endpoint?: string }, workspaceCrn: string): KeyRef {
    const ref = keyRefFromCrn(key.keyCrn, workspaceCrn, key.endpoint);
    if (!ref) throw new DomainError('INVALID_FIELD_ERR', 'The key CRN does not name a root key');
    return ref;
  }
}

function rethrow(error: unknown, key: RootKeyChoice): never {
  throw toDomain(error, `the ${key.role} root key`);
}

/** A KMS failure as the caller's error: unreachable → 503, anything else the key's state or access (409). */
export function toDomain(error: unknown, what = 'the root keys'): unknown {
  if (!(error instanceof KmsClientError)) return error;
  if (error.isTransient) return new DomainError('SERVICE_UNAVAILABLE_ERR', undefined, { cause: error });
  if (error.code === 'KMS_KEY_PURGED_ERR' || error.status === 410) return new DomainError('KMS_KEY_PURGED_ERR', undefined, { cause: error });
  return new DomainError('KMS_KEY_UNAVAILABLE_ERR', `Schematics cannot use ${what} of this workspace: ${error.message} (${error.code})`, { cause: error });
}
