import { Injectable } from '@nestjs/common';
import { INSTANCE_STATE, type ServiceInstance } from '@keyward/contracts';
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
  removedAt?: Date | null;
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
    ...(row.removedAt ? { removed_at: row.removedAt.toISOString() } : {}),
  };
}

/**
 * The resource registry's service instances. A deleted instance stays as a tombstone (state
 * `removed`, `removedAt`): every read here but `findIncludingRemoved` sees only live instances.
 */
@Injectable()
export class RegistryRepository {
  constructor(private readonly prisma: IamPrisma) {}

  async create(instance: Omit<Row, 'createdAt' | 'state'> & { createdById: string; createdAt: Date }): Promise<ServiceInstance> {
    const { parameters, ...rest } = instance;
    return toInstance(await this.prisma.serviceInstance.create({ data: { ...rest, parameters: parameters as object, state: 'active' } }));
  }

  /** A live instance (a removed one is undefined, as an unknown one). */
  async findByGuid(guid: string): Promise<ServiceInstance | undefined> {
    const row = await this.prisma.serviceInstance.findUnique({ where: { guid } });
    return row && !row.removedAt ? toInstance(row) : undefined;
  }

  /** A live instance or the tombstone of a removed one (`state: "removed"`). */
  async findIncludingRemoved(guid: string): Promise<ServiceInstance | undefined> {
    const row = await this.prisma.serviceInstance.findUnique({ where: { guid } });
    return row ? toInstance(row) : undefined;
  }

  async list(filter: { accountId?: string; service?: string | string[]; target?: string }): Promise<ServiceInstance[]> {
    const rows = await this.prisma.serviceInstance.findMany({
      where: {
        removedAt: null,
        ...(filter.accountId ? { accountId: filter.accountId } : {}),
        ...(filter.service ? { service: Array.isArray(filter.service) ? { in: filter.service } : filter.service } : {}),
        ...(filter.target ? { target: filter.target } : {}),
      },
      orderBy: { createdAt: 'asc' },
      take: 5000,
    });
    return rows.map(toInstance);
  }

  /**
   * Turns a live instance into its tombstone and returns the tombstone, or undefined if it was
   * already removed or unknown (the conditional update makes concurrent deletes remove it once).
   */
  async remove(guid: string, at: Date): Promise<ServiceInstance | undefined> {
    const { count } = await this.prisma.serviceInstance.updateMany({ where: { guid, removedAt: null }, data: { state: INSTANCE_STATE.removed, removedAt: at } });
    if (count !== 1) return undefined;
    return this.findIncludingRemoved(guid);
  }
}
