import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { HsmModule } from '../hsm/hsm.module';
import { ImportTokensController } from './import-tokens.controller';
import { ImportTokensRepository } from './import-tokens.repository';
import { ImportTokensService } from './import-tokens.service';

/** Import tokens and secure import; KeysModule uses ImportTokensService for create and rotate with a token. */
@Module({
  imports: [AccessModule, HsmModule],
  controllers: [ImportTokensController],
  providers: [ImportTokensRepository, ImportTokensService],
  exports: [ImportTokensService],
})
export class ImportTokensModule {}
