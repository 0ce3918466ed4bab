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
}
