import type { OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import type { DependencyCheck } from '@keyward/contracts';
import type { HealthCheck } from '../health/health.registry';

/** The surface of a generated Prisma client that the platform relies on. */
export interface PrismaClientLike {
  $disconnect(): Promise<void>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

type PrismaClientClass<C extends PrismaClientLike> = new (options: { adapter: PrismaPg }) => C;

/**
 * Gives an app's generated PrismaClient the Rust-free driver adapter and a clean shutdown. Each app
 * declares `class XPrisma extends prismaServiceFor(PrismaClient) {}`; only repositories inject it.
 */
export function prismaServiceFor<C extends PrismaClientLike>(Client: PrismaClientClass<C>) {
  const Base = Client as unknown as new (options: { adapter: PrismaPg }) => PrismaClientLike;
  class PrismaService extends Base implements OnApplicationShutdown {
    constructor(databaseUrl: string) {
      super({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
    }

    async onApplicationShutdown(): Promise<void> {
      await this.$disconnect();
    }
  }
  return PrismaService as unknown as new (databaseUrl: string) => C & OnApplicationShutdown;
}

export function databaseHealthCheck(prisma: PrismaClientLike): HealthCheck {
  return {
    name: 'database',
    critical: true,
    async check(): Promise<DependencyCheck> {
      await prisma.$queryRawUnsafe('SELECT 1');
      return { status: 'ok' };
    },
  };
}
