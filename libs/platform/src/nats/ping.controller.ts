import { Controller, Inject, type Type } from '@nestjs/common';
import { Ctx, MessagePattern, type NatsContext, Payload } from '@nestjs/microservices';
import { HEADERS, type PingResponse, pingRequestSchema } from '@keyward/contracts';
import type { ServiceConfig } from '../config/service-config';
import { SERVICE_CONFIG } from '../bootstrap/tokens';
import { parsePayload } from '../validation/parse-payload';

/** Answers `rpc.<service>.ping.v1` with this replica's id and the request id it received. */
export function createPingController(subject: string): Type {
  @Controller()
  class PingController {
    constructor(@Inject(SERVICE_CONFIG) private readonly config: ServiceConfig) {}

    @MessagePattern(subject)
    ping(@Payload() payload: unknown, @Ctx() context: NatsContext): PingResponse {
      parsePayload(pingRequestSchema, payload ?? {});
      const requestId = context.getHeaders()?.get(HEADERS.requestId);
      return { service: this.config.app, replicaId: this.config.replicaId, ...(requestId ? { requestId } : {}) };
    }
  }
  return PingController;
}
