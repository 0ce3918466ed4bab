import { Injectable } from '@nestjs/common';
import type { ServiceInstance } from '@keyward/contracts';
import { IamPrisma } from '../database/iam-prisma.service';

type Row = {
  guid: string;
  crn: string;
  name: string;
  service: string;
  plan: string;
  target: string;
  resourceGroupId: string;
  accountId: string;
  parameters: unknown;
  state: string;
  createdAt: Date;
};

export function toInstance(row: Row): ServiceInstance {
  return {
    guid: row.guid,
    crn: row.crn,
    name: row.name,
    service: row.service,
    plan: row.plan,
    target: row.target,
    resource_group_id: row.resourceGroupId,
    account_id: row.accountId,
    parameters: (row.parameters ?? {}) as Record<string, unknown>,
    state: row.state,
    created_at: row.createdAt.toISOString(),
  };
}

/** The resource registry's service instances. */
@Injectable()
export class RegistryRepository {
  constructor(private readonly prisma: IamPrisma) {}

  async create(instance: Omit<Row, 'createdAt' | 'state'> & { createdById: string; createdAt: Date }): Promise<ServiceInstance> {
    const { parameters, ...rest } = instance;
    return toInstance(await this.prisma.serviceInstance.create({ data: { ...rest, parameters: parameters as object, state: 'active' } }));
  }

  async findByGuid(guid: string): Promise<ServiceInstance | undefined> {
    const row = await this.prisma.serviceInstance.findUnique({ where: { guid } });
    return row ? toInstance(row) : undefined;
  }

  async list(filter: { accountId?: string; service?: string | string[]; target?: string }): Promise<ServiceInstance[]> {
    const rows = await this.prisma.serviceInstance.findMany({
      where: {
        ...(filter.accountId ? { accountId: filter.accountId } : {}),
        ...(filter.service ? { service: Array.isArray(filter.service) ? { in: filter.service } : filter.service } : {}),
        ...(filter.target ? { target: filter.target } : {}),
      },
      orderBy: { createdAt: 'asc' },
      take: 5000,
    });
    return rows.map(toInstance);
  }

  /** Deletes and returns the instance, or undefined if it was already gone. */
  async delete(guid: string): Promise<ServiceInstance | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const existing = await tx.serviceInstance.findUnique({ where: { guid } });
      if (!existing) return undefined;
      const { count } = await tx.serviceInstance.deleteMany({ where: { guid } });
      return count === 1 ? toInstance(existing) : undefined;
    });
  }
}
