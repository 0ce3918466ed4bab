import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { KmsAccess, type KmsAction } from '../access/kms-access';
import { Clock } from '../common/clock';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import { HsmClient } from '../hsm/hsm-client';
import type { KmsInstance } from '../instances/instance.repository';
import {
  base64Field,
  booleanField,
  dateField,
  objectBody,
  optionalString,
  singleResource,
  tagsField,
} from './key-input';
import { KEY_STATE, KEY_TYPE, KEY_VERSION_TYPE, collection, effectiveState, keyView, rfc3339 } from './key-view';
import { type KeyListParams, intParam, parseCountQuery, parseListQuery, singleParam } from './key-list-query';
import { type KeyRow, KeysRepository } from './keys.repository';

const ROOT_KEY_SIZES = new Set([16, 24, 32]);

/** Keys: create/import, read, list, versions, delete/restore/purge (KEY-PROTECT-API.md §2–§4). */
@Injectable()
export class KeysService {
  constructor(
    private readonly keys: KeysRepository,
    private readonly hsm: HsmClient,
    private readonly access: KmsAccess,
    private readonly clock: Clock,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
  ) {}

  /**
   * The key the caller may act on: an unknown key is 404 only to a caller allowed the action on the
   * instance (anyone else learns nothing: 401).
   */
  async authorizedKey(caller: AuthenticatedCaller, instance: KmsInstance, id: string, action: KmsAction): Promise<KeyRow> {
    const key = /^[0-9a-fA-F-]{36}$/.test(id) ? await this.keys.find(instance.guid, id.toLowerCase()) : null;
    if (!key) {
      await this.access.require(caller, instance, action);
      throw new DomainError('KEY_NOT_FOUND_ERR');
    }
    await this.access.require(caller, instance, action, { id: key.id, keyRingId: key.keyRingId });
    return key;
  }

  view(key: KeyRow, instance: KmsInstance): Record<string, unknown> {
    return keyView(key, instance, this.clock.now(), this.settings.windows);
  }

  envelope(key: KeyRow, instance: KmsInstance, extra: Record<string, unknown> = {}) {
    return collection(KEY_TYPE, [{ ...this.view(key, instance), ...extra }]);
  }

  async create(caller: AuthenticatedCaller, instance: KmsInstance, body: unknown, keyRingHeader: string | undefined) {
    const resource = singleResource(body);
    const now = this.clock.now();
    const name = optionalString(resource, 'name', { min: 2, max: 90 });
    if (!name) throw new DomainError('INVALID_FIELD_ERR', 'name is required (2 to 90 characters)', { target: { type: 'field', name: 'name' } });
    const description = optionalString(resource, 'description', { max: 240 });
    const tags = tagsField(resource);
    const extractable = booleanField(resource, 'extractable') ?? false;
    const expirationDate = dateField(resource, 'expirationDate', now);
    if (resource['encryptedNonce'] !== undefined || resource['iv'] !== undefined) {
      throw new DomainError('INVALID_FIELD_ERR', 'Importing through an import token is not supported yet', { target: { type: 'field', name: 'encryptedNonce' } });
    }
    const payload = base64Field(resource, 'payload');
    const keyRingId = keyRingHeader?.trim() || 'default';
    if (keyRingId !== 'default') {
      throw new DomainError('INVALID_FIELD_ERR', 'Only the default key ring exists', { target: { type: 'header', name: 'X-Kms-Key-Ring' } });
    }
    await this.access.require(caller, instance, payload ? 'secrets.import' : 'secrets.create');
    const kind = extractable ? 'standard' : 'root';
    let created;
    if (payload) {
      const size = payload.length;
      payload.fill(0);
      if (kind === 'root' ? !ROOT_KEY_SIZES.has(size) : size === 0 || size > 4096) {
        throw new DomainError('INVALID_FIELD_ERR', kind === 'root' ? 'payload must be 128, 192 or 256 bits' : 'payload must be 1 to 4,096 bytes', {
          target: { type: 'field', name: 'payload' },
        });
      }
      created = await this.hsm.op(instance.hsmDomainId, 'key.import', { kind, payload: { material: resource['payload'] as string } });
    } else {
      created = await this.hsm.op(instance.hsmDomainId, 'key.generate', { kind, bits: 256 });
    }
    const key = await this.keys.create(
      {
        id: created.keyId,
        instanceGuid: instance.guid,
        hsmDomainId: instance.hsmDomainId,
        name,
        description: description ?? null,
        tags,
        keyRingId,
        extractable,
        imported: Boolean(payload),
        bits: created.bits,
        state: KEY_STATE.active,
        expirationDate: expirationDate ?? null,
        createdBy: caller.principal.iamId,
        creationDate: now,
        lastUpdateDate: now,
        lastStateChange: now,
        currentVersion: created.version,
      },
      { version: created.version, creationDate: now },
    );
    return key;
  }

  async list(caller: AuthenticatedCaller, instance: KmsInstance, params: KeyListParams) {
    await this.access.require(caller, instance, 'secrets.list');
    const query = parseListQuery(instance.guid, params);
    const { rows, total } = await this.keys.list(query);
    const now = this.clock.now();
    const resources = rows.map((row) => keyView(row, instance, now, this.settings.windows));
    return collection(KEY_TYPE, resources, singleParam(params, 'totalCount') === 'true' ? { totalCount: total } : {});
  }

  async head(caller: AuthenticatedCaller, instance: KmsInstance, params: KeyListParams): Promise<number> {
    await this.access.require(caller, instance, 'secrets.head');
    const query = parseCountQuery(params);
    return this.keys.count(instance.guid, query.states, query.extractable);
  }

  async read(caller: AuthenticatedCaller, instance: KmsInstance, id: string, withPayload: boolean) {
    const key = await this.authorizedKey(caller, instance, id, 'secrets.readmetadata');
    const extra: Record<string, unknown> = {};
    const state = effectiveState(key, this.clock.now());
    // Only a standard key's material leaves the HSM, only while active, and only for ReaderPlus and above.
    if (withPayload && key.extractable && state === KEY_STATE.active) {
      if (await this.access.allows(caller, instance, 'secrets.read', { id: key.id, keyRingId: key.keyRingId })) {
        const exported = await this.hsm.op(key.hsmDomainId, 'key.export', { keyId: key.id });
        extra['payload'] = exported.material;
      }
    }
    return this.envelope(key, instance, extra);
  }

  async versions(caller: AuthenticatedCaller, instance: KmsInstance, id: string, params: { limit?: string; offset?: string; totalCount?: string; allKeyStates?: string }) {
    const key = await this.authorizedKey(caller, instance, id, 'secrets.listversions');
    const state = effectiveState(key, this.clock.now());
    if (state !== KEY_STATE.active && params.allKeyStates !== 'true') {
      throw new DomainError('KEY_ACTION_INVALID_STATE_ERR', 'Versions of a key that is not active are listed only with allKeyStates=true');
    }
    const limit = intParam(params.limit, 'limit', 200, 1, 5000);
    const offset = intParam(params.offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const all = key.versions.map((v) => ({ id: v.id, creationDate: rfc3339(v.creationDate) }));
    return collection(KEY_VERSION_TYPE, all.slice(offset, offset + limit), params.totalCount === 'true' ? { totalCount: all.length } : {});
  }

  /** 1, 2 or 3 → 5; the HSM suspends the key first, so a failure there changes nothing. */
  async delete(caller: AuthenticatedCaller, instance: KmsInstance, id: string): Promise<KeyRow> {
    const key = await this.authorizedKey(caller, instance, id, 'secrets.delete');
    if (key.state === KEY_STATE.destroyed) throw new DomainError('KEY_DELETED_ERR');
    await this.hsm.op(key.hsmDomainId, 'key.set-state', { keyId: key.id, state: 'suspended' });
    const now = this.clock.now();
    const changed = await this.keys.updateIf(key.id, key.state, {
      state: KEY_STATE.destroyed,
      deletionDate: now,
      deletedBy: caller.principal.iamId,
      lastUpdateDate: now,
      lastStateChange: now,
    });
    if (!changed) throw new DomainError('KEY_DELETED_ERR');
    return changed;
  }

  /** 5 → 1, from KEYWARD_KMS_RESTORE_WAIT_MS after the delete until KEYWARD_KMS_RESTORE_WINDOW_MS; never for expired keys. */
  async restore(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown): Promise<KeyRow> {
    objectBody(body, { required: false });
    const key = await this.authorizedKey(caller, instance, id, 'secrets.restore');
    if (key.state !== KEY_STATE.destroyed || !key.deletionDate) throw new DomainError('KEY_ACTION_INVALID_STATE_ERR', 'Only a deleted key can be restored');
    const now = this.clock.now();
    const since = now.getTime() - key.deletionDate.getTime();
    if (key.expirationDate && key.expirationDate.getTime() <= now.getTime()) throw new DomainError('KEY_EXPIRED_ERR', 'An expired key cannot be restored');
    if (since >= this.settings.windows.restoreWindowMs) throw new DomainError('KEY_RESTORE_EXPIRED');
    if (since < this.settings.windows.restoreWaitMs) throw new DomainError('REQ_TOO_EARLY_ERR', 'The key was deleted too recently to be restored: retry later');
    await this.hsm.op(key.hsmDomainId, 'key.set-state', { keyId: key.id, state: 'active' });
    const changed = await this.keys.updateIf(key.id, KEY_STATE.destroyed, {
      state: KEY_STATE.active,
      deletionDate: null,
      deletedBy: null,
      lastUpdateDate: now,
      lastStateChange: now,
    });
    if (!changed) throw new DomainError('KEY_ACTION_INVALID_STATE_ERR');
    return changed;
  }

  /** 5 → gone: only with KeyPurge, from KEYWARD_KMS_PURGE_WAIT_MS after the delete. The HSM shreds every version. */
  async purge(caller: AuthenticatedCaller, instance: KmsInstance, id: string): Promise<KeyRow> {
    const key = await this.authorizedKey(caller, instance, id, 'secrets.purge');
    if (key.state !== KEY_STATE.destroyed || !key.deletionDate) throw new DomainError('KEY_ACTION_INVALID_STATE_ERR', 'Only a deleted key can be purged');
    if (this.clock.now().getTime() - key.deletionDate.getTime() < this.settings.windows.purgeWaitMs) {
      throw new DomainError('REQ_TOO_EARLY_ERR', 'The key was deleted too recently to be purged: retry later');
    }
    await this.destroy(key);
    return key;
  }

  async destroy(key: { id: string; hsmDomainId: string }): Promise<void> {
    await this.hsm.op(key.hsmDomainId, 'key.destroy', { keyId: key.id });
    await this.keys.remove(key.id);
  }
}
