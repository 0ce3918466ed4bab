import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { KeysModule } from '../keys/keys.module';
import { DualAuthStoreModule } from './dual-auth-store.module';
import { DualAuthController } from './dual-auth.controller';
import { DualAuthService } from './dual-auth.service';

/** Dual authorization for deletion: the set/unset actions (the delete-time check is in DualAuthStoreModule). */
@Module({ imports: [AccessModule, KeysModule, DualAuthStoreModule], controllers: [DualAuthController], providers: [DualAuthService] })
export class DualAuthModule {}
