import { Module } from '@nestjs/common';
import { KeyEventOutbox } from './key-event-outbox';
import { KeyEventsRepository } from './key-events.repository';
import { KeyLinks } from './key-links';
import { RegistrationsRepository } from '../registrations/registrations.repository';

/**
 * What the keys module needs from registrations and events without depending on their HTTP modules
 * (which depend on it): the outbox writer, the event log and the registrations table.
 */
@Module({
  providers: [KeyEventOutbox, KeyEventsRepository, RegistrationsRepository, KeyLinks],
  exports: [KeyEventOutbox, KeyEventsRepository, RegistrationsRepository, KeyLinks],
})
export class KeyLinksModule {}
