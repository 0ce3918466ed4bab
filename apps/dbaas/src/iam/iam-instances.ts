import { DomainError, type ServiceInstance } from '@keyward/contracts';
import { ServiceTokenProvider } from '@keyward/platform';
import type { DbaasConfig } from '../config/dbaas.config';

/**
 * A cluster is an IAM service instance of `hyperp-dbaas-postgresql`, which DBaaS creates itself with
 * its own service token in the caller's account (DESIGN.md "Consumer resources") — after validating
 * the request, and deletes again when the creation fails later.
 */
export class IamInstances {
  private readonly tokens: ServiceTokenProvider;

  constructor(private readonly config: DbaasConfig['kms']) {
    this.tokens = new ServiceTokenProvider({ iamUrl: config.iamUrl, apiKey: config.apiKey });
  }

  async create(input: { name: string; plan: string; region: string; accountId: string; resourceGroupId?: string }): Promise<ServiceInstance> {
    const response = await this.call('POST', '/v2/resource_instances', {
      name: input.name,
      service: 'hyperp-dbaas-postgresql',
      plan: input.plan,
      target: input.region,
      account_id: input.accountId,
      ...(input.resourceGroupId ? { resource_group: input.resourceGroupId } : {}),
    });
    const body = (await response.json().catch(() => undefined)) as (ServiceInstance & { errorMessage?: string }) | undefined;
    if (response.status === 201 && body) return body;
    if (response.status >= 400 && response.status < 500) {
      throw new DomainError('INVALID_FIELD_ERR', `IAM refused the cluster's instance: ${body?.errorMessage ?? response.status}`);
    }
    throw new DomainError('SERVICE_UNAVAILABLE_ERR', `IAM answered ${response.status} to the cluster's instance creation`);
  }

  async delete(guid: string): Promise<void> {
    const response = await this.call('DELETE', `/v2/resource_instances/${encodeURIComponent(guid)}`);
    if (response.status !== 204 && response.status !== 404) throw new DomainError('SERVICE_UNAVAILABLE_ERR', `IAM answered ${response.status} to the instance deletion`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const token = await this.tokens.get();
    try {
      return await fetch(`${this.config.iamUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new DomainError('SERVICE_UNAVAILABLE_ERR', 'IAM could not be reached', { cause: error });
    }
  }
}
