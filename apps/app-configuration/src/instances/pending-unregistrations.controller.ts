import { Controller, Get, UseGuards } from '@nestjs/common';
import { Authenticated, type AuthenticatedCaller, Caller, KeywardAuthGuard } from '@keyward/platform';
import { InstanceLifecycleService } from './instance-lifecycle.service';

/** Registrations of deleted instances not yet removed from the KMS, of the caller's account. */
@Controller('apprapp/feature/v1/pending_unregistrations')
@UseGuards(KeywardAuthGuard)
export class PendingUnregistrationsController {
  constructor(private readonly lifecycle: InstanceLifecycleService) {}

  @Get()
  @Authenticated()
  async list(@Caller() caller: AuthenticatedCaller) {
    const mine = (await this.lifecycle.listPending()).filter((pending) => pending.sourceCrn.includes(`:a/${caller.principal.accountId}:`));
    return {
      pending_unregistrations: mine.map((pending) => ({
        resource_crn: pending.sourceCrn,
        instance_id: pending.instanceGuid,
        root_key_crn: pending.keyCrn,
        attempts: pending.attempts,
        last_error: pending.lastError,
        created_time: pending.createdAt.toISOString(),
      })),
      total_count: mine.length,
    };
  }
}
