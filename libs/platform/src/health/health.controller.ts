import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthRegistry } from './health.registry';

@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthRegistry) {}

  /** Readiness: the app and its dependencies. 503 only when a critical dependency is down. */
  @Get()
  async readiness(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.health.report();
    await reply.status(report.status === 'down' ? 503 : 200).send(report);
  }

  /** Liveness: the process answers; orchestrators restart it when this fails. */
  @Get('live')
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
