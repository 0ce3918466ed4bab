import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { InstanceEventsService } from '../iam/instance-events.service';
import { KeyEventsService } from './key-events.service';

/** What DBaaS follows from other services: the KMS's key lifecycle events and IAM's instance deletions. */
@Module({ imports: [ClustersModule], providers: [KeyEventsService, InstanceEventsService], exports: [KeyEventsService] })
export class KeyEventsModule {}
