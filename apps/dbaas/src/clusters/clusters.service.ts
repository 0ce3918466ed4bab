import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError } from '@keyward/contracts';
import { type AuthenticatedCaller, LOGGER, parsePayload } from '@keyward/platform';
import { DBAAS_CONFIG, type DbaasConfig } from '../config/dbaas.config';
import { IamInstances } from '../iam/iam-instances';
import { ClusterKeys } from '../keys/cluster-keys';
import { ClusterAccess, DBAAS_SERVICE } from './cluster-access';
import { type CreateClusterInput, createClusterBody, updateClusterBody } from './cluster-input';
import { type ClusterRecord, ClustersRepository } from './clusters.repository';

/** Why a cluster's keys cannot change: the answer to any attempt (seed 004, "only when you create"). */
export const KEY_FIXED_MESSAGE =
  "A cluster's root key and backup key are chosen only when the cluster is created: its data key is wrapped by that key, " +
  'so changing it would need every replica and backup re-encrypted. To use another key, restore a backup into a new cluster created with that key.';

/**
 * Cluster lifecycle. Creation validates everything first, then creates the IAM instance, the data key
 * and the registrations, and undoes what was done if a later step fails: a refused creation leaves no
 * instance, registration or row behind.
 */
@Injectable()
export class ClustersService {
  constructor(
    private readonly clusters: ClustersRepository,
    private readonly access: ClusterAccess,
    private readonly keys: ClusterKeys,
    private readonly instances: IamInstances,
    @Inject(DBAAS_CONFIG) private readonly config: DbaasConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async create(caller: AuthenticatedCaller, body: unknown): Promise<ClusterRecord> {
    return this.createFrom(caller, parsePayload(createClusterBody, body ?? {}));
  }

  /** Creates a cluster from validated input (also the restore of a backup, which then fills it). */
  async createFrom(caller: AuthenticatedCaller, input: CreateClusterInput): Promise<ClusterRecord> {
    const accountId = caller.principal.accountId;
    if (!(await this.access.allowed(caller, 'resource-controller.instance.create', accountId))) {
      throw new DomainError('FORBIDDEN_ERR', `The caller may not create ${DBAAS_SERVICE} instances in account ${accountId}`);
    }
    // Without keyCrn: DBaaS's own default key (503 while it is not available yet).
    const keyCrn = input.keyCrn ?? this.keys.defaultKeyCrn();
    const backupKeyCrn = input.backupKeyCrn ?? keyCrn;
    this.keys.checkCrn(keyCrn, 'keyCrn');
    this.keys.checkCrn(backupKeyCrn, 'backupKeyCrn');
    await this.keys.preflight(accountId, keyCrn);
    if (backupKeyCrn !== keyCrn) await this.keys.preflight(accountId, backupKeyCrn);

    const instance = await this.instances.create({ name: input.name, plan: input.plan, region: input.region, accountId, ...(input.resourceGroupId ? { resourceGroupId: input.resourceGroupId } : {}) });
    const registered: string[] = [];
    try {
      const dataKey = await this.keys.createDataKey(keyCrn, instance.crn);
      if (backupKeyCrn !== keyCrn) await this.keys.checkUsable(backupKeyCrn, instance.crn, 'backup key');
      for (const crn of new Set([keyCrn, backupKeyCrn])) {
        await this.keys.register(crn, instance.crn, `Hyper Protect DBaaS cluster ${input.name}`);
        registered.push(crn);
      }
      return await this.clusters.create({
        id: instance.guid,
        crn: instance.crn,
        accountId: instance.account_id,
        resourceGroupId: instance.resource_group_id,
        name: input.name,
        region: input.region,
        plan: input.plan,
        keyCrn,
        backupKeyCrn,
        wrappedDek: dataKey.wrappedDek,
        keyVersionId: dataKey.keyVersionId,
        databases: input.databases,
        users: input.users,
      });
    } catch (error) {
      await this.undoCreation(instance.guid, instance.crn, registered);
      throw error;
    }
  }

  async list(caller: AuthenticatedCaller): Promise<ClusterRecord[]> {
    const all = await this.clusters.listOfAccount(caller.principal.accountId);
    const visible: ClusterRecord[] = [];
    for (const cluster of all) if (await this.access.allowed(caller, `${DBAAS_SERVICE}.cluster.read`, cluster.accountId, cluster)) visible.push(cluster);
    return visible;
  }

  get(caller: AuthenticatedCaller, id: string): Promise<ClusterRecord> {
    return this.access.cluster(caller, id, 'cluster.read');
  }

  /** Renames; any attempt to change a key is refused with the reason (409). */
  async update(caller: AuthenticatedCaller, id: string, body: unknown): Promise<ClusterRecord> {
    const input = parsePayload(updateClusterBody, body ?? {});
    const cluster = await this.access.cluster(caller, id, 'cluster.write');
    if (input.keyCrn !== undefined || input.backupKeyCrn !== undefined) {
      throw new DomainError('CONFLICT_ERR', KEY_FIXED_MESSAGE, { target: { type: 'field', name: input.keyCrn !== undefined ? 'keyCrn' : 'backupKeyCrn' } });
    }
    if (input.name) await this.clusters.rename(cluster.id, input.name);
    return (await this.clusters.find(cluster.id)) ?? cluster;
  }

  /** Deletes the cluster's rows, backups, registrations and IAM instance. */
  async delete(caller: AuthenticatedCaller, id: string): Promise<void> {
    const cluster = await this.access.cluster(caller, id, 'cluster.delete');
    await this.clusters.delete(cluster.id);
    for (const crn of new Set([cluster.keyCrn, cluster.backupKeyCrn])) await this.keys.unregister(crn, cluster.crn).catch((error: unknown) => this.logUndo(error, 'unregister'));
    await this.instances.delete(cluster.id).catch((error: unknown) => this.logUndo(error, 'instance deletion'));
  }

  private async undoCreation(guid: string, crn: string, registered: readonly string[]): Promise<void> {
    for (const keyCrn of registered) await this.keys.unregister(keyCrn, crn).catch((error: unknown) => this.logUndo(error, 'unregister'));
    await this.instances.delete(guid).catch((error: unknown) => this.logUndo(error, 'instance deletion'));
  }

  private logUndo(error: unknown, step: string): void {
    this.logger.warn({ step, code: (error as { code?: string }).code, message: (error as Error).message }, 'cleanup step failed');
  }
}
