import { Injectable } from '@nestjs/common';
import { AppConfigurationPrisma } from '../database/app-configuration-prisma.service';

export type Plan = 'lite' | 'standard' | 'enterprise';

export interface AppConfigInstance {
  guid: string;
  crn: string;
  plan: string;
  accountId: string;
  resourceGroupId: string | null;
}

@Injectable()
export class InstanceRepository {
  constructor(private readonly prisma: AppConfigurationPrisma) {}

  async find(guid: string): Promise<AppConfigInstance | undefined> {
    const row = await this.prisma.instance.findUnique({ where: { guid } });
    return row ?? undefined;
  }

  /** Idempotent: a request and the created event (or two replicas) may set one instance up at once. */
  async save(instance: AppConfigInstance): Promise<AppConfigInstance> {
    await this.prisma.instance.createMany({ data: [instance], skipDuplicates: true });
    return this.prisma.instance.findUniqueOrThrow({ where: { guid: instance.guid } });
  }

  /** Removes the instance and everything it holds, in one transaction. */
  async removeWithData(guid: string): Promise<void> {
    const where = { instanceGuid: guid };
    await this.prisma.$transaction([
      this.prisma.flag.deleteMany({ where }),
      this.prisma.segment.deleteMany({ where }),
      this.prisma.environment.deleteMany({ where }),
      this.prisma.collection.deleteMany({ where }),
      this.prisma.kmsIntegration.deleteMany({ where }),
      this.prisma.instance.deleteMany({ where: { guid } }),
    ]);
  }
}
