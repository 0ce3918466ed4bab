import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { InstancesModule } from '../instances/instances.module';
import { SegmentsModule } from '../segments/segments.module';
import { FlagRepository } from './flag.repository';
import { FlagsController } from './flags.controller';
import { FlagsService } from './flags.service';

@Module({ imports: [InstancesModule, CatalogModule, SegmentsModule], controllers: [FlagsController], providers: [FlagRepository, FlagsService] })
export class FlagsModule {}
