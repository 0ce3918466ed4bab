import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { DataModule } from '../data/data.module';
import { BackupWorker } from './backup-worker';
import { BackupsController } from './backups.controller';
import { BackupsRepository } from './backups.repository';
import { BackupsService } from './backups.service';

@Module({ imports: [ClustersModule, DataModule], controllers: [BackupsController], providers: [BackupsRepository, BackupWorker, BackupsService] })
export class BackupsModule {}
