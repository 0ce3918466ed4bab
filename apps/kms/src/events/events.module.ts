import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { KeysModule } from '../keys/keys.module';
import { EventAckService } from './event-ack.service';
import { EventRelay } from './event-relay';
import { EventsController } from './events.controller';
import { KeyLinksModule } from './key-links.module';

/** Lifecycle events to consumers: the outbox relay to JetStream, `event_ack` and `sync`. */
@Module({ imports: [AccessModule, KeysModule, KeyLinksModule], controllers: [EventsController], providers: [EventAckService, EventRelay], exports: [EventRelay] })
export class EventsModule {}
