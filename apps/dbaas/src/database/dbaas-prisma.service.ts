import { prismaServiceFor } from '@keyward/platform';
import { PrismaClient } from '../generated/prisma/client';

/** Hyper Protect DBaaS's database client; injected only by repositories. */
export class DbaasPrisma extends prismaServiceFor(PrismaClient) {}
