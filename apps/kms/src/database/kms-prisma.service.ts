import { prismaServiceFor } from '@keyward/platform';
import { PrismaClient } from '../generated/prisma/client';

/** The KMS's database client (key metadata only); injected only by repositories. */
export class KmsPrisma extends prismaServiceFor(PrismaClient) {}
