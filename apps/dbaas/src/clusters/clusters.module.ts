import { Module } from '@nestjs/common';
import { ClusterAccess } from './cluster-access';
import { ClustersController } from './clusters.controller';
import { ClustersRepository } from './clusters.repository';
import { ClustersService } from './clusters.service';

@Module({ controllers: [ClustersController], providers: [ClustersRepository, ClusterAccess, ClustersService], exports: [ClustersRepository, ClusterAccess, ClustersService] })
export class ClustersModule {}
