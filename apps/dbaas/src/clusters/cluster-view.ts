import { parseKeyCrn } from '@keyward/kms-client';
import type { ClusterRecord } from './clusters.repository';

/** A cluster as the API shows it: the KMS instance and root key, never the wrapped data key. */
export function clusterView(cluster: ClusterRecord) {
  const key = parseKeyCrn(cluster.keyCrn);
  return {
    id: cluster.id,
    crn: cluster.crn,
    name: cluster.name,
    region: cluster.region,
    plan: cluster.plan,
    accountId: cluster.accountId,
    resourceGroupId: cluster.resourceGroupId,
    kms: { serviceName: key?.serviceName, instanceId: key?.instanceId, keyId: key?.keyId, keyCrn: cluster.keyCrn },
    backupKeyCrn: cluster.backupKeyCrn,
    databases: cluster.databases,
    users: cluster.users,
    nodes: cluster.nodes.map(nodeView),
    createdAt: cluster.createdAt.toISOString(),
  };
}

export function nodeView(node: ClusterRecord['nodes'][number]) {
  return { id: node.id, name: node.name, status: node.status, keyStatus: node.keyStatus };
}
