import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { DataModule } from '../data/data.module';
import { BackupScheduler } from './backup-scheduler';
import { BackupWorker } from './backup-worker';
import { BackupsController } from './backups.controller';
import { BackupsRepository } from './backups.repository';
import { BackupsService } from './backups.service';

@Module({ imports: [ClustersModule, DataModule], controllers: [BackupsController], providers: [BackupsRepository, BackupWorker, BackupsService, BackupScheduler] })
export class BackupsModule {}
