import { Injectable } from '@nestjs/common';
import { SERVICE_KEY_OWNER_PARAMETER, type ServiceInstance } from '@keyward/contracts';
import { IamPrisma } from '../database/iam-prisma.service';
import { toInstance } from '../registry/registry.repository';

export interface NewServiceKeyInstance {
  guid: string;
  crn: string;
  name: string;
  ownerService: string;
  target: string;
  accountId: string;
  resourceGroupId: string;
  createdById: string;
  createdAt: Date;
}

/**
 * The service-owned `kms` instances bootstrap keeps (one per consumer service). Find-or-create runs
 * under an advisory lock, so IAM replicas starting at once create exactly one per service.
 */
@Injectable()
export class ServiceKeyInstancesRepository {
  constructor(private readonly prisma: IamPrisma) {}

  /** The service's active instance, created from `create` when it has none. `created` says which. */
  async ensure(accountId: string, ownerService: string, create: () => NewServiceKeyInstance): Promise<{ instance: ServiceInstance; created: boolean }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`keyward-iam-service-key-instance:${ownerService}`}))`;
      const existing = await tx.serviceInstance.findFirst({
        where: { accountId, service: 'kms', state: 'active', parameters: { path: [SERVICE_KEY_OWNER_PARAMETER], equals: ownerService } },
        orderBy: { createdAt: 'asc' },
      });
      if (existing) return { instance: toInstance(existing), created: false };
      const { ownerService: owner, ...row } = create();
      const inserted = await tx.serviceInstance.create({
        data: { ...row, service: 'kms', plan: 'standard', parameters: { [SERVICE_KEY_OWNER_PARAMETER]: owner }, state: 'active' },
      });
      return { instance: toInstance(inserted), created: true };
    });
  }
}
