import { Global, Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller';
import { PoliciesRepository } from './policies.repository';
import { PoliciesService } from './policies.service';

/** Access and authorization policies (v1 and v2 wire shapes). */
@Global()
@Module({ controllers: [PoliciesController], providers: [PoliciesRepository, PoliciesService], exports: [PoliciesRepository] })
export class PoliciesModule {}
