import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { DualAuthStoreModule } from '../dual-auth/dual-auth-store.module';
import { KeyLinksModule } from '../events/key-links.module';
import { HsmModule } from '../hsm/hsm.module';
import { ImportTokensModule } from '../import-tokens/import-tokens.module';
import { AliasesRepository } from '../aliases/aliases.repository';
import { KeyActionsService } from '../key-actions/key-actions.service';
import { KeyPlacement } from '../key-rings/key-placement';
import { KeyRingsRepository } from '../key-rings/key-rings.repository';
import { KeysController } from './keys.controller';
import { KeysRepository } from './keys.repository';
import { KeysService } from './keys.service';

/** Keys and their actions share one route tree (`/api/v2/keys/...`), so one controller serves both services. */
@Module({
  imports: [AccessModule, HsmModule, ImportTokensModule, DualAuthStoreModule, KeyLinksModule],
  controllers: [KeysController],
  // Rings and aliases decide where a new key goes and how keys are found, so their repositories live here too.
  providers: [KeysRepository, KeysService, KeyActionsService, KeyRingsRepository, AliasesRepository, KeyPlacement],
  exports: [KeysRepository, KeysService, KeyActionsService, KeyRingsRepository, AliasesRepository],
})
export class KeysModule {}
