import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { HsmModule } from '../hsm/hsm.module';
import { CryptoUnitsController } from './crypto-units.controller';
import { CryptoUnitsService } from './crypto-units.service';

@Module({ imports: [AccessModule, HsmModule], controllers: [CryptoUnitsController], providers: [CryptoUnitsService] })
export class CryptoUnitsModule {}
