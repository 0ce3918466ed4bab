import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { DataController } from './data.controller';
import { DataService } from './data.service';
import { RowsRepository } from './rows.repository';

@Module({ imports: [ClustersModule], controllers: [DataController], providers: [RowsRepository, DataService], exports: [RowsRepository] })
export class DataModule {}
