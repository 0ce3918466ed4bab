import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { AppConfigurationPrisma } from '../database/app-configuration-prisma.service';

export type CatalogKind = 'environment' | 'collection';

export interface CatalogEntry {
  id: string;
  name: string;
  description: string;
  createdAt: Date;
}

/** Environments and collections: named containers of an instance (id, name, description). */
@Injectable()
export class CatalogRepository {
  constructor(private readonly prisma: AppConfigurationPrisma) {}

  async list(kind: CatalogKind, instanceGuid: string): Promise<CatalogEntry[]> {
    if (kind === 'environment') {
      return (await this.prisma.environment.findMany({ where: { instanceGuid }, orderBy: { environmentId: 'asc' } })).map((row) => ({ ...row, id: row.environmentId }));
    }
    return (await this.prisma.collection.findMany({ where: { instanceGuid }, orderBy: { collectionId: 'asc' } })).map((row) => ({ ...row, id: row.collectionId }));
  }

  async find(kind: CatalogKind, instanceGuid: string, id: string): Promise<CatalogEntry | undefined> {
    return (await this.list(kind, instanceGuid)).find((entry) => entry.id === id);
  }

  async create(kind: CatalogKind, instanceGuid: string, entry: Omit<CatalogEntry, 'createdAt'>): Promise<CatalogEntry> {
    const { id, name, description } = entry;
    const { count } =
      kind === 'environment'
        ? await this.prisma.environment.createMany({ data: [{ instanceGuid, environmentId: id, name, description }], skipDuplicates: true })
        : await this.prisma.collection.createMany({ data: [{ instanceGuid, collectionId: id, name, description }], skipDuplicates: true });
    if (count === 0) throw new DomainError('CONFLICT_ERR', `The ${kind} ${id} already exists`, { target: { type: 'field', name: `${kind}_id` } });
    return (await this.find(kind, instanceGuid, id)) as CatalogEntry;
  }

  /** Removing an environment removes its features and properties with it (one transaction). */
  async remove(kind: CatalogKind, instanceGuid: string, id: string): Promise<boolean> {
    if (kind === 'collection') return (await this.prisma.collection.deleteMany({ where: { instanceGuid, collectionId: id } })).count > 0;
    const [, removed] = await this.prisma.$transaction([
      this.prisma.flag.deleteMany({ where: { instanceGuid, environmentId: id } }),
      this.prisma.environment.deleteMany({ where: { instanceGuid, environmentId: id } }),
    ]);
    return removed.count > 0;
  }
}
