import { prismaServiceFor } from '@keyward/platform';
import { PrismaClient } from '../generated/prisma/client';

/** App Configuration's database client; injected only by repositories. */
export class AppConfigurationPrisma extends prismaServiceFor(PrismaClient) {}
