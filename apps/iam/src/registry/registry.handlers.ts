import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IAM_SUBJECTS, type ServiceInstance, instanceGetRequestSchema, instanceListRequestSchema, parseCrn } from '@keyward/contracts';
import { parsePayload } from '@keyward/platform';
import { RegistryRepository } from './registry.repository';

/**
 * `rpc.iam.instance.get.v1` / `.list.v1` for services (NATS permissions limit who may ask). An
 * unknown instance is `null`, not an error: "does it exist?" is the question.
 */
@Controller()
export class RegistryHandlers {
  constructor(private readonly repository: RegistryRepository) {}

  @MessagePattern(IAM_SUBJECTS.instanceGet)
  async get(@Payload() payload: unknown): Promise<ServiceInstance | null> {
    const request = parsePayload(instanceGetRequestSchema, payload);
    if ('guid' in request) return (await this.repository.findByGuid(request.guid)) ?? null;
    const crn = parseCrn(request.crn);
    if (!crn?.serviceInstance) return null;
    const instance = await this.repository.findByGuid(crn.serviceInstance);
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
