import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { KeyEventsService } from './key-events.service';

@Module({ imports: [ClustersModule], providers: [KeyEventsService], exports: [KeyEventsService] })
export class KeyEventsModule {}
