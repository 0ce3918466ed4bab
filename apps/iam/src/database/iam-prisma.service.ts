import { prismaServiceFor } from '@keyward/platform';
import { PrismaClient } from '../generated/prisma/client';

/** IAM's database client; injected only by repositories. */
export class IamPrisma extends prismaServiceFor(PrismaClient) {}
