import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { Clock } from '../common/clock';
import type { KmsInstance } from '../instances/instance.repository';
import { collection, rfc3339 } from '../keys/key-view';
import { KeysService } from '../keys/keys.service';
import { KEY_ALIAS_TYPE, aliasField } from './alias-rules';
import { AliasesRepository } from './aliases.repository';

/**
 * Aliases (KEY-PROTECT-API.md §2): ≤ 5 per key, ≤ 1,000 per instance, unique in the instance. They
 * resolve wherever a key id is accepted, in KeysRepository.find (through KeysService.authorizedKey).
 */
@Injectable()
export class AliasesService {
  constructor(
    private readonly aliases: AliasesRepository,
    private readonly keysService: KeysService,
    private readonly clock: Clock,
  ) {}

  async create(caller: AuthenticatedCaller, instance: KmsInstance, id: string, alias: string) {
    const name = aliasField(alias);
    const key = await this.keysService.authorizedKey(caller, instance, id, 'secrets.createalias');
    const row = await this.aliases.add(instance.guid, key.id, name, caller.principal.iamId, this.clock.now());
    return collection(KEY_ALIAS_TYPE, [{ keyId: row.keyId, alias: row.alias, creationDate: rfc3339(row.creationDate), createdBy: row.createdBy }]);
  }

  async delete(caller: AuthenticatedCaller, instance: KmsInstance, id: string, alias: string): Promise<void> {
    const key = await this.keysService.authorizedKey(caller, instance, id, 'secrets.deletealias');
    if (!(await this.aliases.remove(instance.guid, key.id, alias))) throw new DomainError('KEY_ALIAS_NOT_FOUND_ERR');
  }
}
