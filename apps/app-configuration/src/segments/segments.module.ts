import { Module } from '@nestjs/common';
import { FlagRepository } from '../flags/flag.repository';
import { InstancesModule } from '../instances/instances.module';
import { SegmentProtectionModule } from '../integrations/segment-protection.module';
import { SegmentRepository } from './segment.repository';
import { SegmentsController } from './segments.controller';
import { SegmentsService } from './segments.service';

@Module({
  imports: [InstancesModule, SegmentProtectionModule],
  controllers: [SegmentsController],
  providers: [SegmentRepository, SegmentsService, FlagRepository],
  exports: [SegmentsService],
})
export class SegmentsModule {}
