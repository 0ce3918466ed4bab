import { Injectable } from '@nestjs/common';
import { DomainError, mayActFor } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { KmsAccess } from '../access/kms-access';
import { Clock } from '../common/clock';
import type { KmsInstance } from '../instances/instance.repository';
import { KeyRingsRepository } from '../key-rings/key-rings.repository';
import { KEY_STATE, collection, effectiveState, rfc3339 } from '../keys/key-view';
import type { KeyRow } from '../keys/keys.repository';
import { intParam } from '../keys/key-list-query';
import { KeysService } from '../keys/keys.service';
import { REGISTRATION_TYPE, type RegistrationInput, crnQueryParam, registrationBody, resourceCrnParam } from './registration-input';
import { type ListedRegistration, type RegistrationQuery, type RegistrationRow, type RegistrationWrite, RegistrationsRepository } from './registrations.repository';

export interface RegistrationListParams {
  limit?: string;
  offset?: string;
  totalCount?: string;
  preventKeyDeletion?: string;
  urlEncodedResourceCRNQuery?: string;
}

type WriteAction = 'registrations.create' | 'registrations.update' | 'registrations.delete';

/**
 * Registrations (KEY-PROTECT-API.md §5): a service records that one of its resources is protected by
 * a root key, so deleting the key is governed (PROTECTED_RESOURCE_ERR, PREV_KEY_DEL_ERR) and the
 * resource appears in the key's lifecycle events. Writes are for service tokens only, and a service
 * writes only registrations of resources it may act for.
 */
@Injectable()
export class RegistrationsService {
  constructor(
    private readonly registrations: RegistrationsRepository,
    private readonly keys: KeysService,
    private readonly access: KmsAccess,
    private readonly clock: Clock,
    private readonly rings: KeyRingsRepository,
  ) {}

  async create(caller: AuthenticatedCaller, instance: KmsInstance, id: string, rawCrn: string, body: unknown) {
    const { key, crn } = await this.writable(caller, instance, id, rawCrn, 'registrations.create');
    const input = registrationBody(body, { required: false });
    this.requireRegistrable(key);
    const now = this.clock.now();
    const row: RegistrationRow = {
      keyId: key.id,
      resourceCrn: crn,
      instanceGuid: instance.guid,
      preventKeyDeletion: input.preventKeyDeletion ?? false,
      description: input.description ?? null,
      registrationMetadata: input.registrationMetadata ?? null,
      keyVersionId: input.keyVersionId === undefined ? currentVersion(key).id : versionOf(key, input.keyVersionId).id,
      createdBy: caller.principal.iamId,
      creationDate: now,
      updatedBy: caller.principal.iamId,
      lastUpdated: now,
    };
    this.check(await this.registrations.create(row));
    return this.envelope(key, crn, true);
  }

  /** PATCH changes the fields sent; PUT replaces them (absent ones take their defaults). */
  async update(caller: AuthenticatedCaller, instance: KmsInstance, id: string, rawCrn: string, body: unknown, mode: 'patch' | 'put') {
    const { key, crn } = await this.writable(caller, instance, id, rawCrn, 'registrations.update');
    const input: RegistrationInput = registrationBody(body, { required: true });
    this.requireRegistrable(key);
    const existing = await this.registrations.find(key.id, crn);
    if (!existing) throw new DomainError('REGISTRATION_NOT_FOUND_ERR');
    let keyVersionId = existing.keyVersionId;
    if (input.keyVersionId !== undefined) {
      const wanted = versionOf(key, input.keyVersionId);
      const registered = key.versions.find((v) => v.id === existing.keyVersionId);
      if (registered && wanted.version <= registered.version) {
        throw new DomainError('KEY_VERSION_INVALID', 'keyVersionId must be newer than the registered key version', { target: { type: 'field', name: 'keyVersionId' } });
      }
      keyVersionId = wanted.id;
    }
    const replace = mode === 'put';
    this.check(
      await this.registrations.update(key.id, crn, {
        preventKeyDeletion: input.preventKeyDeletion ?? (replace ? false : existing.preventKeyDeletion),
        description: input.description !== undefined ? input.description : replace ? null : existing.description,
        registrationMetadata: input.registrationMetadata !== undefined ? input.registrationMetadata : replace ? null : existing.registrationMetadata,
        keyVersionId,
        updatedBy: caller.principal.iamId,
        lastUpdated: this.clock.now(),
      }),
    );
    return this.envelope(key, crn, true);
  }

  /** Allowed in any key state: a service must be able to let go of a deleted key. */
  async remove(caller: AuthenticatedCaller, instance: KmsInstance, id: string, rawCrn: string): Promise<void> {
    if (caller.removedSource) return this.removeForRemovedSource(instance, id, rawCrn);
    const { key, crn } = await this.writable(caller, instance, id, rawCrn, 'registrations.delete');
    if (!(await this.registrations.remove(key.id, crn))) throw new DomainError('REGISTRATION_NOT_FOUND_ERR');
  }

  /**
   * The source instance was deleted and the guard's rule (unregisterOwnRemovedInstance) let its own
   * service through for exactly its CRN: IAM grants a removed instance nothing, so no decision is
   * asked; the registration goes if this instance's key `id` (a key id, not an alias) holds it.
   */
  private async removeForRemovedSource(instance: KmsInstance, id: string, rawCrn: string): Promise<void> {
    const { crn } = resourceCrnParam(rawCrn);
    if (!(await this.registrations.removeInInstance(instance.guid, id.toLowerCase(), crn))) throw new DomainError('REGISTRATION_NOT_FOUND_ERR');
  }

  async listForKey(caller: AuthenticatedCaller, instance: KmsInstance, id: string, params: RegistrationListParams) {
    const key = await this.keys.authorizedKey(caller, instance, id, 'registrations.list');
    return this.list(caller, { ...this.query(instance, params, false), keyId: key.id }, params);
  }

  /**
   * With X-Kms-Key-Ring, as `GET /keys`: decided on that ring (a policy on the ring allows it), an
   * unknown ring is KEY_RING_NOT_FOUND_ERR, and only that ring's keys are listed.
   */
  async listForInstance(caller: AuthenticatedCaller, instance: KmsInstance, params: RegistrationListParams) {
    const ring = instance.requestKeyRing;
    await this.access.require(caller, instance, 'registrations.list', ring ? { keyRingId: ring } : undefined);
    if (ring && !(await this.rings.exists(instance.guid, ring))) throw new DomainError('KEY_RING_NOT_FOUND_ERR');
    return this.list(caller, { ...this.query(instance, params, true), ...(ring ? { keyRingId: ring } : {}) }, params);
  }

  private async list(caller: AuthenticatedCaller, query: RegistrationQuery, params: RegistrationListParams) {
    const { rows, total } = await this.registrations.list(query);
    const service = isService(caller);
    return collection(
      REGISTRATION_TYPE,
      rows.map((row) => view(row, service)),
      params.totalCount === 'true' ? { totalCount: total } : {},
    );
  }

  private query(instance: KmsInstance, params: RegistrationListParams, allKeys: boolean): RegistrationQuery {
    let preventKeyDeletion: boolean | undefined;
    if (params.preventKeyDeletion !== undefined && params.preventKeyDeletion !== '') {
      if (params.preventKeyDeletion !== 'true' && params.preventKeyDeletion !== 'false') {
        throw new DomainError('INVALID_QUERY_PARAM_ERR', 'preventKeyDeletion must be true or false', { target: { type: 'query', name: 'preventKeyDeletion' } });
      }
      preventKeyDeletion = params.preventKeyDeletion === 'true';
    }
    const crnLike = crnQueryParam(params.urlEncodedResourceCRNQuery, { allKeys });
    return {
      instanceGuid: instance.guid,
      limit: intParam(params.limit, 'limit', 200, 1, 5000),
      offset: intParam(params.offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
      ...(crnLike === undefined ? {} : { crnLike }),
      ...(preventKeyDeletion === undefined ? {} : { preventKeyDeletion }),
    };
  }

  /** Service token first (SERVICE_ONLY_ERR), then the CRN, then IAM on the key, then ownership of the resource. */
  private async writable(caller: AuthenticatedCaller, instance: KmsInstance, id: string, rawCrn: string, action: WriteAction): Promise<{ key: KeyRow; crn: string }> {
    const serviceName = caller.principal.serviceName;
    if (!serviceName) throw new DomainError('SERVICE_ONLY_ERR');
    const { crn, service } = resourceCrnParam(rawCrn);
    const key = await this.keys.authorizedKey(caller, instance, id, action);
    if (!mayActFor(serviceName, service)) throw new DomainError('RESOURCE_OWNER_ERR', `A ${serviceName} token may not register ${service} resources`);
    return { key, crn };
  }

  private requireRegistrable(key: KeyRow): void {
    if (key.extractable) throw new DomainError('KEY_ROOT_REQ_REG_ERR');
    if (effectiveState(key, this.clock.now()) !== KEY_STATE.active) throw new DomainError('KEY_INVALID_STATE_ERR', 'Only an active key can be registered');
  }

  private check(result: RegistrationWrite): void {
    switch (result) {
      case 'done':
        return;
      case 'exists':
        throw new DomainError('REGISTRATION_EXISTS_ERR');
      case 'missing':
        throw new DomainError('REGISTRATION_NOT_FOUND_ERR');
      case 'key-not-active':
        throw new DomainError('KEY_INVALID_STATE_ERR', 'Only an active key can be registered');
    }
  }

  private async envelope(key: KeyRow, crn: string, service: boolean) {
    const row = await this.registrations.find(key.id, crn);
    if (!row) throw new DomainError('REGISTRATION_NOT_FOUND_ERR');
    const version = key.versions.find((v) => v.id === row.keyVersionId);
    return collection(REGISTRATION_TYPE, [view({ ...row, keyName: key.name, versionCreationDate: version?.creationDate ?? null }, service)]);
  }
}

function isService(caller: AuthenticatedCaller): boolean {
  return Boolean(caller.principal.serviceName);
}

function currentVersion(key: KeyRow) {
  const found = key.versions.find((v) => v.version === key.currentVersion) ?? key.versions[0];
  if (!found) throw new DomainError('INCOMPLETE_METADATA_ERR');
  return found;
}

function versionOf(key: KeyRow, id: string) {
  const found = key.versions.find((v) => v.id === id);
  if (!found) throw new DomainError('KEY_VERSION_INVALID', 'keyVersionId is not a version of this key', { target: { type: 'field', name: 'keyVersionId' } });
  return found;
}

/** The registration resource of §5; `registrationMetadata` only for service callers. */
function view(row: ListedRegistration, service: boolean): Record<string, unknown> {
  return {
    keyId: row.keyId,
    keyName: row.keyName,
    resourceCrn: row.resourceCrn,
    createdBy: row.createdBy,
    creationDate: rfc3339(row.creationDate),
    updatedBy: row.updatedBy,
    lastUpdated: rfc3339(row.lastUpdated),
    ...(row.description !== null ? { description: row.description } : {}),
    ...(service && row.registrationMetadata !== null ? { registrationMetadata: row.registrationMetadata } : {}),
    preventKeyDeletion: row.preventKeyDeletion,
    keyVersion: { id: row.keyVersionId, ...(row.versionCreationDate ? { creationDate: rfc3339(row.versionCreationDate) } : {}) },
  };
}
