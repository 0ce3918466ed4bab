import { Module } from '@nestjs/common';
import { DualAuthGate } from './dual-auth.gate';
import { DualAuthRepository } from './dual-auth.repository';

/** Deletion authorizations and the delete-time check (used by KeysService; no routes). */
@Module({ providers: [DualAuthRepository, DualAuthGate], exports: [DualAuthRepository, DualAuthGate] })
export class DualAuthStoreModule {}
