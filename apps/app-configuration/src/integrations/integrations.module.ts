import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';
import { SegmentProtectionModule } from './segment-protection.module';

@Module({ imports: [InstancesModule, SegmentProtectionModule], controllers: [IntegrationsController], providers: [IntegrationsService] })
export class IntegrationsModule {}
