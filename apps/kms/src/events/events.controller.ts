import { Body, Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authenticated, Caller } from '@keyward/platform';
import { Instance, KmsAuthGuard } from '../access/kms-auth.guard';
import type { KmsRequest } from '../access/kms-request';
import type { KmsInstance } from '../instances/instance.repository';
import { EventAckService } from './event-ack.service';

/** Thin: acknowledgements and re-sends of key lifecycle events (rules in EventAckService). */
@Controller('api/v2')
@UseGuards(KmsAuthGuard)
export class EventsController {
  constructor(private readonly events: EventAckService) {}

  @Post('event_ack')
  @Authenticated()
  @HttpCode(204)
  async acknowledge(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'event_ack' };
    await this.events.acknowledge(caller, instance, body);
  }

  // A static last segment: Fastify prefers it over the keys controller's `:id/actions/:action`.
  @Post('keys/:id/actions/sync')
  @Authenticated()
  @HttpCode(204)
  async sync(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'sync', keyId: id };
    await this.events.sync(caller, instance, id);
  }
}
