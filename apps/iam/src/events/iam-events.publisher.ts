import { Inject, Injectable } from '@nestjs/common';
import { headers as natsHeaders } from 'nats';
import type { Logger } from 'pino';
import { HEADERS, IAM_EVENT_SUBJECTS, type PolicyChangedEvent, type ServiceInstance } from '@keyward/contracts';
import { LOGGER, NatsConnectionHolder, SubjectNamespace } from '@keyward/platform';

/**
 * Publishes `events.iam.*` to the IAM_EVENTS stream after the change is committed. JetStream
 * de-duplicates on Nats-Msg-Id, so a retried publish is harmless. A publish that fails after the
 * commit is logged; consumers also look instances up lazily (rpc.iam.instance.get.v1), and decision
 * caches expire within a minute, so a lost event delays but never breaks them.
 */
@Injectable()
export class IamEventsPublisher {
  constructor(
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  instanceCreated(instance: ServiceInstance): Promise<void> {
    return this.publish(IAM_EVENT_SUBJECTS.instanceCreated, `instance-created-${instance.guid}`, instance);
  }

  instanceDeleted(instance: ServiceInstance): Promise<void> {
    return this.publish(IAM_EVENT_SUBJECTS.instanceDeleted, `instance-deleted-${instance.guid}`, instance);
  }

  policyChanged(event: PolicyChangedEvent, version: number): Promise<void> {
    return this.publish(IAM_EVENT_SUBJECTS.policyChanged, `policy-${event.policyId}-${event.change}-${version}`, event);
  }

  private async publish(subject: string, msgId: string, payload: unknown): Promise<void> {
    const h = natsHeaders();
    h.set(HEADERS.natsMsgId, msgId);
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await this.nats.get().jetstream().publish(this.namespace.subject(subject), JSON.stringify(payload), { headers: h, msgID: msgId });
        return;
      } catch (error) {
        if (attempt === 3) this.logger.error({ err: error, subject, msgId }, 'event not published');
      }
    }
  }
}
