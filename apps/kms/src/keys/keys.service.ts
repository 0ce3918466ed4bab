import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { KmsAccess, type KmsAction } from '../access/kms-access';
import { Clock } from '../common/clock';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import { KeyLinks } from '../events/key-links';
import { HsmClient } from '../hsm/hsm-client';
import { secureImportFields } from '../import-tokens/import-token-input';
import { ImportTokensService } from '../import-tokens/import-tokens.service';
import { DualAuthGate } from '../dual-auth/dual-auth.gate';
import { requireCreateImportAccess } from '../instance-policies/create-import-access';
import type { KmsInstance } from '../instances/instance.repository';
import { aliasesField, isAliasSyntax } from '../aliases/alias-rules';
import { KeyPlacement } from '../key-rings/key-placement';
import { DEFAULT_KEY_RING } from '../key-rings/key-ring-rules';
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

/**
 * The hot path: actions a consumer sends thousands of times, which only use a key. They read the key
 * through the repository's short-lived cache (KEYWARD_KMS_HOT_CACHE_MS); every other action reads it fresh.
 */
const USE_ACTIONS = new Set<KmsAction>(['secrets.wrap', 'secrets.unwrap', 'secrets.rewrap']);

/** Keys: create/import, read, list, versions, delete/restore/purge (KEY-PROTECT-API.md §2–§4). */
@Injectable()
export class KeysService {
  constructor(
    private readonly keys: KeysRepository,
    private readonly hsm: HsmClient,
    private readonly access: KmsAccess,
    private readonly clock: Clock,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
    private readonly importTokens: ImportTokensService,
    private readonly dualAuth: DualAuthGate,
    private readonly placement: KeyPlacement,
    private readonly links: KeyLinks,
  ) {}

  /**
   * The key the caller may act on: an unknown key is 404 only to a caller allowed the action on the
   * instance (anyone else learns nothing: 401). `id` may be an alias. With X-Kms-Key-Ring the key must
   * be in that ring (an unknown ring is KEY_RING_NOT_FOUND_ERR).
   */
  async authorizedKey(caller: AuthenticatedCaller, instance: KmsInstance, id: string, action: KmsAction): Promise<KeyRow> {
    const lookup = USE_ACTIONS.has(action) ? this.keys.findForUse.bind(this.keys) : this.keys.find.bind(this.keys);
    const found = /^[0-9a-fA-F-]{36}$/.test(id) || isAliasSyntax(id) ? await lookup(instance.guid, id) : null;
    const ring = instance.requestKeyRing;
    const key = found && (!ring || found.keyRingId === ring) ? found : null;
    if (!key) {
      await this.access.require(caller, instance, action, ringOf(instance));
      if (ring && !(await this.placement.ringExists(instance.guid, ring))) throw new DomainError('KEY_RING_NOT_FOUND_ERR');
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
    // Secure import: `payload` is RSA-OAEP ciphertext the HSM opens (import-tokens/); otherwise plain material.
    const secure = secureImportFields(resource, instance);
    const payload = secure ? undefined : base64Field(resource, 'payload');
    const aliases = aliasesField(resource);
    const keyRingId = keyRingHeader?.trim() || instance.requestKeyRing || DEFAULT_KEY_RING;
    const imported = Boolean(payload ?? secure);
    await this.access.require(caller, instance, imported ? 'secrets.import' : 'secrets.create', { keyRingId });
    await this.placement.check(instance.guid, keyRingId, aliases);
    const kind = extractable ? 'standard' : 'root';
    requireCreateImportAccess(instance, { kind, imported, withToken: Boolean(secure) });
    let created;
    if (secure) {
      created = await this.importTokens.importThrough(instance, secure, (material) => this.hsm.op(instance.hsmDomainId, 'key.import', { kind, payload: material }));
    } else if (payload) {
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
        imported,
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
      this.placement.inTransaction({ instanceGuid: instance.guid, keyId: created.keyId, ring: keyRingId, aliases, createdBy: caller.principal.iamId, at: now }),
    ).catch(async (error: unknown) => {
      // Refused after the HSM made the key (a ring deleted or an alias taken meanwhile): shred it again.
      await this.hsm.op(instance.hsmDomainId, 'key.destroy', { keyId: created.keyId }).catch(() => undefined);
      throw error;
    });
    return key;
  }

  async list(caller: AuthenticatedCaller, instance: KmsInstance, params: KeyListParams) {
    await this.access.require(caller, instance, 'secrets.list', ringOf(instance));
    const query = { ...parseListQuery(instance.guid, params), ...(await this.requestedRing(instance)) };
    const { rows, total } = await this.keys.list(query);
    const now = this.clock.now();
    const resources = rows.map((row) => keyView(row, instance, now, this.settings.windows));
    return collection(KEY_TYPE, resources, singleParam(params, 'totalCount') === 'true' ? { totalCount: total } : {});
  }

  async head(caller: AuthenticatedCaller, instance: KmsInstance, params: KeyListParams): Promise<number> {
    await this.access.require(caller, instance, 'secrets.head', ringOf(instance));
    const query = parseCountQuery(params);
    const { keyRingId } = await this.requestedRing(instance);
    return this.keys.count(instance.guid, query.states, query.extractable, keyRingId);
  }

  async read(caller: AuthenticatedCaller, instance: KmsInstance, id: string, withPayload: boolean) {
    const key = await this.authorizedKey(caller, instance, id, 'secrets.readmetadata');
    const extra: Record<string, unknown> = { pendingEventAcks: await this.links.pendingEventAcks(key.id) };
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

  /** 1, 2 or 3 → 5 unless registrations forbid it; the HSM suspends the key first, so a failure there changes nothing. */
  async delete(caller: AuthenticatedCaller, instance: KmsInstance, id: string, options: { force?: boolean } = {}): Promise<KeyRow> {
    const key = await this.authorizedKey(caller, instance, id, 'secrets.delete');
    if (key.state === KEY_STATE.destroyed) throw new DomainError('KEY_DELETED_ERR');
    this.dualAuth.requireForDelete(caller, instance, key);
    await this.links.assertDeletable(key.id, options.force ?? false);
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
    // The authorization is used up by the delete (a restored key needs a new one).
    await this.dualAuth.consume(key.id);
    return { ...changed, deletionAuthorization: null };
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

  /** With X-Kms-Key-Ring, a list shows only that ring's keys (and the ring must exist). */
  private async requestedRing(instance: KmsInstance): Promise<{ keyRingId?: string }> {
    const ring = instance.requestKeyRing;
    if (!ring) return {};
    if (!(await this.placement.ringExists(instance.guid, ring))) throw new DomainError('KEY_RING_NOT_FOUND_ERR');
    return { keyRingId: ring };
  }
}

/** With X-Kms-Key-Ring, instance-wide checks are about that ring's keys (a policy on the ring allows them). */
function ringOf(instance: KmsInstance): { keyRingId: string } | undefined {
  return instance.requestKeyRing ? { keyRingId: instance.requestKeyRing } : undefined;
}
