import { Injectable } from '@nestjs/common';
import { DbaasPrisma } from '../database/dbaas-prisma.service';
import type { Prisma } from '../generated/prisma/client';

export type ClusterRecord = Prisma.ClusterGetPayload<{ include: { nodes: true } }>;

export const NODE_COUNT = 3;

/** Clusters and their nodes. */
@Injectable()
export class ClustersRepository {
  constructor(private readonly prisma: DbaasPrisma) {}

  /** The cluster and its three nodes, in one transaction. */
  async create(cluster: Prisma.ClusterUncheckedCreateInput): Promise<ClusterRecord> {
    return this.prisma.$transaction(async (tx) => {
      await tx.cluster.create({ data: cluster });
      await tx.clusterNode.createMany({
        data: Array.from({ length: NODE_COUNT }, (_, i) => ({ id: `${cluster.id}-${i}`, clusterId: cluster.id, name: `node-${i}`, status: 'running', keyStatus: 'active' })),
      });
      return tx.cluster.findUniqueOrThrow({ where: { id: cluster.id }, include: { nodes: { orderBy: { name: 'asc' } } } });
    });
  }

  find(id: string): Promise<ClusterRecord | null> {
    return this.prisma.cluster.findUnique({ where: { id }, include: { nodes: { orderBy: { name: 'asc' } } } });
  }

  listOfAccount(accountId: string): Promise<ClusterRecord[]> {
    return this.prisma.cluster.findMany({ where: { accountId }, include: { nodes: { orderBy: { name: 'asc' } } }, orderBy: { createdAt: 'asc' } });
  }

  /** Clusters whose data key or backups the key (by CRN) protects. */
  usingKey(keyCrn: string): Promise<ClusterRecord[]> {
    return this.prisma.cluster.findMany({ where: { OR: [{ keyCrn }, { backupKeyCrn: keyCrn }] }, include: { nodes: true } });
  }

  findByCrn(crn: string): Promise<ClusterRecord | null> {
    return this.prisma.cluster.findFirst({ where: { crn }, include: { nodes: { orderBy: { name: 'asc' } } } });
  }

  async rename(id: string, name: string): Promise<void> {
    await this.prisma.cluster.update({ where: { id }, data: { name } });
  }

  async setKeyStatus(clusterId: string, keyStatus: string, at: Date): Promise<void> {
    await this.prisma.clusterNode.updateMany({ where: { clusterId }, data: { keyStatus, keyStatusAt: at } });
  }

  async saveDataKey(clusterId: string, wrappedDek: string, keyVersionId: string): Promise<void> {
    await this.prisma.cluster.update({ where: { id: clusterId }, data: { wrappedDek, keyVersionId } });
  }

  /** The cluster with its nodes, rows and backups (cascade). */
  async delete(id: string): Promise<void> {
    await this.prisma.cluster.deleteMany({ where: { id } });
  }
}
