import { Module } from '@nestjs/common';
import { HSM_SUBJECTS } from '@keyward/contracts';
import { createPingController } from '@keyward/platform';

@Module({ controllers: [createPingController(HSM_SUBJECTS.ping)] })
export class PingModule {}
