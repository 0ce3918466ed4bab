import { Injectable } from '@nestjs/common';
import { DomainError, type ServiceInstance } from '@keyward/contracts';
import { RpcClient, getInstanceFromIam } from '@keyward/platform';
import { type AppConfigInstance, InstanceRepository } from './instance.repository';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const APP_CONFIGURATION_SERVICE = 'apprapp';

/**
 * App Configuration instances come from IAM's registry (service `apprapp`): set up on first sight
 * through `rpc.iam.instance.get.v1`, and eagerly on `events.iam.instance.created.v1` (InstanceEvents).
 */
@Injectable()
export class InstancesService {
  constructor(
    private readonly repository: InstanceRepository,
    private readonly rpc: RpcClient,
  ) {}

  /** The instance of a path's `{guid}`; unknown to IAM, removed or of another service → 404. */
  async resolve(guid: string | undefined): Promise<AppConfigInstance> {
    const id = (guid ?? '').toLowerCase();
    if (!GUID.test(id)) throw new DomainError('NOT_FOUND_ERR', 'No App Configuration instance has this id', { target: { type: 'field', name: 'instance_id' } });
    const known = await this.repository.find(id);
    if (known) return known;
    const instance = await getInstanceFromIam(this.rpc, id);
    if (!instance || instance.state === 'removed' || instance.service !== APP_CONFIGURATION_SERVICE) {
      throw new DomainError('NOT_FOUND_ERR', 'No App Configuration instance has this id');
    }
    return this.setUp(instance);
  }

  setUp(instance: ServiceInstance): Promise<AppConfigInstance> {
    return this.repository.save({
      guid: instance.guid,
      crn: instance.crn,
      plan: instance.plan,
      accountId: instance.account_id,
      resourceGroupId: instance.resource_group_id ?? null,
    });
  }
}
