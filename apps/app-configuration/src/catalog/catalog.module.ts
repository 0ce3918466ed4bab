import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { CatalogController } from './catalog.controller';
import { CatalogRepository } from './catalog.repository';

@Module({ imports: [InstancesModule], controllers: [CatalogController], providers: [CatalogRepository], exports: [CatalogRepository] })
export class CatalogModule {}
