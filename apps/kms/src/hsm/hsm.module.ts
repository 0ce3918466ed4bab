import { Module } from '@nestjs/common';
import { HsmClient } from './hsm-client';
import { HsmDomainsClient } from './hsm-domains.client';

@Module({ providers: [HsmClient, HsmDomainsClient], exports: [HsmClient, HsmDomainsClient] })
export class HsmModule {}
