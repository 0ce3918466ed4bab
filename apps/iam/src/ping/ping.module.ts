import { Module } from '@nestjs/common';
import { IAM_SUBJECTS } from '@keyward/contracts';
import { createPingController } from '@keyward/platform';

@Module({ controllers: [createPingController(IAM_SUBJECTS.ping)] })
export class PingModule {}
