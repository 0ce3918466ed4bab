import { prismaServiceFor } from '@keyward/platform';
import { PrismaClient } from '../generated/prisma/client';

/** Schematics's database client; injected only by repositories. */
export class SchematicsPrisma extends prismaServiceFor(PrismaClient) {}
