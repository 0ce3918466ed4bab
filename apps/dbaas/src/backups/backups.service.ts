import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { type AuthenticatedCaller, parsePayload } from '@keyward/platform';
import { ClusterAccess } from '../clusters/cluster-access';
import { createClusterBody } from '../clusters/cluster-input';
import type { ClusterRecord } from '../clusters/clusters.repository';
import { ClustersService } from '../clusters/clusters.service';
import { RowsRepository } from '../data/rows.repository';
import { BackupWorker } from './backup-worker';
import { type BackupRecord, BackupsRepository } from './backups.repository';

/** On-demand backups and their restore into a new cluster (with its own key). */
@Injectable()
export class BackupsService {
  constructor(
    private readonly access: ClusterAccess,
    private readonly worker: BackupWorker,
    private readonly backups: BackupsRepository,
    private readonly clusters: ClustersService,
    private readonly rows: RowsRepository,
  ) {}

  async create(caller: AuthenticatedCaller, clusterId: string): Promise<BackupRecord> {
    const cluster = await this.access.cluster(caller, clusterId, 'backups.write');
    return this.worker.backUp(cluster);
  }

  async list(caller: AuthenticatedCaller, clusterId: string): Promise<BackupRecord[]> {
    const cluster = await this.access.cluster(caller, clusterId, 'backups.read');
    return this.backups.list(cluster.id);
  }

  /**
   * Opens the backup first (so an unreadable backup creates nothing), then creates the new cluster
   * (the body as for a new cluster) and fills it; the new cluster is deleted again if filling fails.
   */
  async restore(caller: AuthenticatedCaller, clusterId: string, backupId: string, body: unknown): Promise<ClusterRecord> {
    const input = parsePayload(createClusterBody, body ?? {});
    const source = await this.access.cluster(caller, clusterId, 'backups.restore');
    const backup = await this.backups.find(source.id, backupId);
    if (!backup) throw new DomainError('NOT_FOUND_ERR', `Cluster ${clusterId} has no backup ${backupId}`);
    const snapshot = await this.worker.open(source, backup);
    const target = await this.clusters.createFrom(caller, input);
    try {
      await this.rows.insertAll(target.id, await this.worker.sealFor(target, snapshot));
    } catch (error) {
      await this.clusters.delete(caller, target.id).catch(() => undefined);
      throw error;
    }
    return target;
  }
}
