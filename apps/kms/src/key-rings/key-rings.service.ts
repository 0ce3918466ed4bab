import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { KmsAccess } from '../access/kms-access';
import { Clock } from '../common/clock';
import type { KmsInstance } from '../instances/instance.repository';
import { objectBody } from '../keys/key-input';
import { collection, rfc3339 } from '../keys/key-view';
import { KeysRepository } from '../keys/keys.repository';
import { intParam } from '../keys/key-list-query';
import { KeysService } from '../keys/keys.service';
import { DEFAULT_KEY_RING, KEY_RING_TYPE, keyRingIdField } from './key-ring-rules';
import { KeyRingsRepository } from './key-rings.repository';

/** Key rings (KEY-PROTECT-API.md §2): list, create, delete, and moving a key between rings (PATCH). */
@Injectable()
export class KeyRingsService {
  constructor(
    private readonly rings: KeyRingsRepository,
    private readonly keys: KeysRepository,
    private readonly keysService: KeysService,
    private readonly access: KmsAccess,
    private readonly clock: Clock,
  ) {}

  /** `default` first (the official Node test expects a new ring at index 1), then by creation. */
  async list(caller: AuthenticatedCaller, instance: KmsInstance, params: { limit?: string; offset?: string; totalCount?: string }) {
    await this.access.require(caller, instance, 'keyrings.list');
    const limit = intParam(params.limit, 'limit', 200, 1, 5000);
    const offset = intParam(params.offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const rows = await this.rings.list(instance.guid);
    const all = [{ id: DEFAULT_KEY_RING }, ...rows.map((r) => ({ id: r.id, creationDate: rfc3339(r.creationDate), createdBy: r.createdBy }))];
    return collection(KEY_RING_TYPE, all.slice(offset, offset + limit), params.totalCount === 'true' ? { totalCount: all.length } : {});
  }

  async create(caller: AuthenticatedCaller, instance: KmsInstance, id: string): Promise<void> {
    const ring = keyRingIdField(id, 'keyRingId');
    await this.access.require(caller, instance, 'keyrings.create');
    await this.rings.create(instance.guid, ring, caller.principal.iamId, this.clock.now());
  }

  /** `force` comes as `?force=true` or, from older Go clients, as a body `{"Force": true}`. */
  async delete(caller: AuthenticatedCaller, instance: KmsInstance, id: string, forceQuery: string | undefined, body: unknown): Promise<void> {
    const ring = keyRingIdField(id, 'keyRingId');
    const force = forceFlag(forceQuery, body);
    await this.access.require(caller, instance, 'keyrings.delete');
    if (ring === DEFAULT_KEY_RING) {
      throw new DomainError('INVALID_FIELD_ERR', 'The default key ring cannot be deleted', { target: { type: 'field', name: 'keyRingId' } });
    }
    await this.rings.delete(instance.guid, ring, force);
  }

  /**
   * PATCH /keys/{idOrAlias} `{"keyRingID": "…"}` (the Go client sends `KeyRingID`: field names match
   * case-insensitively). Manager on the key where it is and where it goes (`secrets.patch` both times).
   */
  async moveKey(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown) {
    const input = objectBody(body, { required: true });
    const field = Object.keys(input).find((name) => name.toLowerCase() === 'keyringid');
    const target = keyRingIdField(field ? input[field] : undefined, 'keyRingID');
    const key = await this.keysService.authorizedKey(caller, instance, id, 'secrets.patch');
    await this.access.require(caller, instance, 'secrets.patch', { id: key.id, keyRingId: target });
    if (target !== key.keyRingId) await this.rings.moveKey(instance.guid, key.id, target, this.clock.now());
    const moved = await this.keys.find(instance.guid, key.id);
    if (!moved) throw new DomainError('KEY_NOT_FOUND_ERR');
    return this.keysService.envelope(moved, instance);
  }
}

function forceFlag(query: string | undefined, body: unknown): boolean {
  if (query !== undefined && query !== '') {
    if (query !== 'true' && query !== 'false') throw new DomainError('INVALID_QUERY_PARAM_ERR', 'force must be true or false', { target: { type: 'query', name: 'force' } });
    return query === 'true';
  }
  const input = objectBody(body, { required: false });
  const field = Object.keys(input).find((name) => name.toLowerCase() === 'force');
  return field !== undefined && input[field] === true;
}
