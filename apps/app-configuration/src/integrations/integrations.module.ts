import { Module } from '@nestjs/common';
import { InstanceLifecycleService } from '../instances/instance-lifecycle.service';
import { InstancesModule } from '../instances/instances.module';
import { PendingUnregistrationsController } from '../instances/pending-unregistrations.controller';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';
import { KeyEventsService } from './key-events.service';
import { SegmentProtectionModule } from './segment-protection.module';

/** Connecting a root key, following its lifecycle events, and unregistering deleted instances. */
@Module({
  imports: [InstancesModule, SegmentProtectionModule],
  controllers: [IntegrationsController, PendingUnregistrationsController],
  providers: [IntegrationsService, KeyEventsService, InstanceLifecycleService],
  exports: [KeyEventsService, InstanceLifecycleService],
})
export class IntegrationsModule {}
