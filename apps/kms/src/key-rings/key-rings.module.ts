import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { KeysModule } from '../keys/keys.module';
import { KeyRingMoveController, KeyRingsController } from './key-rings.controller';
import { KeyRingsService } from './key-rings.service';

/** Key rings: `/api/v2/key_rings` and moving a key between rings (`PATCH /api/v2/keys/{id}`). */
@Module({
  imports: [AccessModule, KeysModule],
  controllers: [KeyRingsController, KeyRingMoveController],
  providers: [KeyRingsService],
})
export class KeyRingsModule {}
