import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IAM_SUBJECTS, type ServiceInstance, instanceGetRequestSchema, instanceListRequestSchema, parseCrn } from '@keyward/contracts';
import { parsePayload } from '@keyward/platform';
import { RegistryRepository } from './registry.repository';

/**
 * `rpc.iam.instance.get.v1` / `.list.v1` for services (NATS permissions limit who may ask). An
 * unknown instance is `null`, not an error: "does it exist?" is the question. A removed instance is
 * `null` too unless the caller asks `include_removed` (then its tombstone, `state: "removed"`);
 * listings never show removed instances.
 */
@Controller()
export class RegistryHandlers {
  constructor(private readonly repository: RegistryRepository) {}

  @MessagePattern(IAM_SUBJECTS.instanceGet)
  async get(@Payload() payload: unknown): Promise<ServiceInstance | null> {
    const request = parsePayload(instanceGetRequestSchema, payload);
    const find = (guid: string) => (request.include_removed ? this.repository.findIncludingRemoved(guid) : this.repository.findByGuid(guid));
    if ('guid' in request) return (await find(request.guid)) ?? null;
    const crn = parseCrn(request.crn);
    if (!crn?.serviceInstance) return null;
    const instance = await find(crn.serviceInstance);
    // Accept the CRN with either cloud name, but every other segment must be the instance's.
    return instance && parseCrn(instance.crn)?.accountId === crn.accountId && instance.service === crn.service ? instance : null;
  }

  @MessagePattern(IAM_SUBJECTS.instanceList)
  async list(@Payload() payload: unknown): Promise<ServiceInstance[]> {
    const request = parsePayload(instanceListRequestSchema, payload ?? {});
    return this.repository.list({
      ...(request.account_id ? { accountId: request.account_id } : {}),
      ...(request.service ? { service: request.service } : {}),
      ...(request.target ? { target: request.target } : {}),
    });
  }
}
