import { Global, Module } from '@nestjs/common';
import { IamEventsPublisher } from './iam-events.publisher';

/** events.iam.* on the IAM_EVENTS stream. */
@Global()
@Module({ providers: [IamEventsPublisher], exports: [IamEventsPublisher] })
export class EventsModule {}
