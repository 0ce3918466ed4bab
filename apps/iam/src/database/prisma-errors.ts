import { DomainError, type ErrorCode } from '@keyward/contracts';
import { Prisma } from '../generated/prisma/client';

/**
 * Turns the Prisma errors a race can cause into the DomainError the API documents: a unique
 * violation (P2002: another request inserted the same name first) and a missing row (P2025: another
 * request deleted it first) are predictable, so they must never surface as a 500.
 */
export async function mapRaces<T>(work: Promise<T>, codes: { conflict?: [ErrorCode, string?]; notFound?: [ErrorCode, string?] }): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError) {
      if (error.code === 'P2002' && codes.conflict) throw new DomainError(codes.conflict[0], codes.conflict[1], { cause: new Error(`Prisma ${error.code}`) });
      if (error.code === 'P2025' && codes.notFound) throw new DomainError(codes.notFound[0], codes.notFound[1], { cause: new Error(`Prisma ${error.code}`) });
    }
    throw error;
  }
}
