import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { AUTHZ_DECIDER, type AuthenticatedCaller, type AuthzDecider } from '@keyward/platform';
import { type ClusterRecord, ClustersRepository } from './clusters.repository';

export const DBAAS_SERVICE = 'hyperp-dbaas-postgresql';

/**
 * Who may do what with a cluster: IAM decides on the cluster's instance (`hyperp-dbaas-postgresql.<action>`).
 * A cluster the caller may not even read is "not found", so ids cannot be probed.
 */
@Injectable()
export class ClusterAccess {
  constructor(
    private readonly clusters: ClustersRepository,
    @Inject(AUTHZ_DECIDER) private readonly decider: AuthzDecider,
  ) {}

  async allowed(caller: AuthenticatedCaller, action: string, accountId: string, instance?: { id: string; resourceGroupId: string }): Promise<boolean> {
    const decision = await this.decider.check({
      subject: caller.subject,
      action,
      resource: { serviceName: DBAAS_SERVICE, accountId, ...(instance ? { serviceInstance: instance.id, resourceGroupId: instance.resourceGroupId } : {}) },
    });
    return decision.decision === 'allow';
  }

  /** The cluster, when the caller may do `action` (short name, e.g. `cluster.read`) on it. */
  async cluster(caller: AuthenticatedCaller, id: string, action: string): Promise<ClusterRecord> {
    const cluster = await this.clusters.find(id);
    if (!cluster || !(await this.allowed(caller, `${DBAAS_SERVICE}.cluster.read`, cluster.accountId, cluster))) {
      throw new DomainError('NOT_FOUND_ERR', `No cluster ${id}`);
    }
    if (!(await this.allowed(caller, `${DBAAS_SERVICE}.${action}`, cluster.accountId, cluster))) {
      throw new DomainError('FORBIDDEN_ERR', `The caller may not perform ${DBAAS_SERVICE}.${action} on cluster ${id}`);
    }
    return cluster;
  }
}
