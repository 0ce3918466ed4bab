import { prismaServiceFor } from '@keyward/platform';
import { PrismaClient } from '../generated/prisma/client';

/** The HSM's key store client; injected only by repositories. */
export class HsmPrisma extends prismaServiceFor(PrismaClient) {}
