import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { KeyLinksModule } from '../events/key-links.module';
import { KeysModule } from '../keys/keys.module';
import { RegistrationsController } from './registrations.controller';
import { RegistrationsService } from './registrations.service';

@Module({ imports: [AccessModule, KeysModule, KeyLinksModule], controllers: [RegistrationsController], providers: [RegistrationsService] })
export class RegistrationsModule {}
