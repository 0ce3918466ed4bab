import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { KeysModule } from '../keys/keys.module';
import { AliasesController } from './aliases.controller';
import { AliasesService } from './aliases.service';

/** Key aliases: create and delete (lookup by alias is KeysRepository.find's). */
@Module({
  imports: [AccessModule, KeysModule],
  controllers: [AliasesController],
  providers: [AliasesService],
})
export class AliasesModule {}
