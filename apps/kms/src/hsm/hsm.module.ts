import { Module } from '@nestjs/common';
import { HsmClient } from './hsm-client';

@Module({ providers: [HsmClient], exports: [HsmClient] })
export class HsmModule {}
