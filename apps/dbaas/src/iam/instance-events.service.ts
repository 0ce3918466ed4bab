import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'nats';
import type { Logger } from 'pino';
import { IAM_EVENT_SUBJECTS, serviceInstanceSchema } from '@keyward/contracts';
import { LOGGER, NatsConnectionHolder, SubjectNamespace } from '@keyward/platform';
import { DBAAS_SERVICE } from '../clusters/cluster-access';
import { ClustersRepository } from '../clusters/clusters.repository';
import { ClusterKeys } from '../keys/cluster-keys';

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

/**
 * A cluster's IAM instance deleted at IAM directly (not through `DELETE /clusters/{id}`): the cluster's
 * rows and backups are deleted and its registrations removed (DESIGN.md "Services, instances"). Every
 * replica hears the event; the cleanup is idempotent.
 */
@Injectable()
export class InstanceEventsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
    private readonly clusters: ClustersRepository,
    private readonly keys: ClusterKeys,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.nats.get().subscribe(this.namespace.subject(IAM_EVENT_SUBJECTS.instanceDeleted), {
      callback: (_error, message) => {
        const parsed = serviceInstanceSchema.safeParse(parseJson(message.data));
        if (!parsed.success || parsed.data.service !== DBAAS_SERVICE) return;
        this.removed(parsed.data.guid).catch((error: unknown) =>
          this.logger.warn({ clusterId: parsed.data.guid, code: (error as { code?: string }).code, message: (error as Error).message }, 'cleanup of a deleted cluster instance failed'),
        );
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  async removed(guid: string): Promise<void> {
    const cluster = await this.clusters.find(guid);
    if (!cluster) return;
    for (const keyCrn of new Set([cluster.keyCrn, cluster.backupKeyCrn])) {
      await this.keys.unregister(keyCrn, cluster.crn).catch((error: unknown) => this.logger.warn({ clusterId: guid, code: (error as { code?: string }).code }, 'unregister after instance deletion failed'));
    }
    await this.clusters.delete(guid);
    this.logger.info({ clusterId: guid }, 'cluster of a deleted IAM instance removed');
  }
}
