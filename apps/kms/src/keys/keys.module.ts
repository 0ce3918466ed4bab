import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { KeyLinksModule } from '../events/key-links.module';
import { HsmModule } from '../hsm/hsm.module';
import { KeyActionsService } from '../key-actions/key-actions.service';
import { KeysController } from './keys.controller';
import { KeysRepository } from './keys.repository';
import { KeysService } from './keys.service';

/** Keys and their actions share one route tree (`/api/v2/keys/...`), so one controller serves both services. */
@Module({
  imports: [AccessModule, HsmModule, KeyLinksModule],
  controllers: [KeysController],
  providers: [KeysRepository, KeysService, KeyActionsService],
  exports: [KeysRepository, KeysService],
})
export class KeysModule {}
