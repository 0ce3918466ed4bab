import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { ClusterAccess } from '../clusters/cluster-access';
import type { ClusterRecord } from '../clusters/clusters.repository';
import { ClusterKeys } from '../keys/cluster-keys';
import { assertClusterKeyUsable } from '../keys/key-status-guard';
import { type JsonRow, checkRow, checkRowId, checkTableName, rowAad, rowFilter } from './row-input';
import { RowsRepository } from './rows.repository';

/**
 * The data API: rows are sealed (AES-256-GCM under the cluster's DEK, AAD = cluster, table, row id)
 * before they reach the database and opened after; a key that is disabled, deleted or purged stops
 * every read and write at once.
 */
@Injectable()
export class DataService {
  constructor(
    private readonly access: ClusterAccess,
    private readonly keys: ClusterKeys,
    private readonly rows: RowsRepository,
  ) {}

  async insert(caller: AuthenticatedCaller, clusterId: string, table: string, body: unknown): Promise<JsonRow> {
    checkTableName(table);
    const { rowId, row, json } = checkRow(body);
    const cluster = await this.access.cluster(caller, clusterId, 'database.write');
    assertClusterKeyUsable(cluster);
    const ciphertext = await this.keys.encrypt(this.keys.dataKey(cluster), json, rowAad(cluster.id, table, rowId));
    if (!(await this.rows.insert(cluster.id, { tableName: table, rowId, ciphertext }))) {
      throw new DomainError('CONFLICT_ERR', `Table ${table} already has a row with id ${rowId}`, { target: { type: 'field', name: 'id' } });
    }
    return row;
  }

  async get(caller: AuthenticatedCaller, clusterId: string, table: string, rowId: string): Promise<JsonRow> {
    checkTableName(table);
    checkRowId(rowId);
    const cluster = await this.access.cluster(caller, clusterId, 'database.read');
    const sealed = await this.rows.find(cluster.id, table, rowId);
    if (!sealed) throw new DomainError('NOT_FOUND_ERR', `Table ${table} has no row with id ${rowId}`);
    return this.open(cluster, table, rowId, sealed.ciphertext);
  }

  async update(caller: AuthenticatedCaller, clusterId: string, table: string, rowId: string, body: unknown): Promise<JsonRow> {
    checkTableName(table);
    checkRowId(rowId);
    const { row, json } = checkRow(body, rowId);
    const cluster = await this.access.cluster(caller, clusterId, 'database.write');
    assertClusterKeyUsable(cluster);
    const ciphertext = await this.keys.encrypt(this.keys.dataKey(cluster), json, rowAad(cluster.id, table, rowId));
    if (!(await this.rows.update(cluster.id, { tableName: table, rowId, ciphertext }))) throw new DomainError('NOT_FOUND_ERR', `Table ${table} has no row with id ${rowId}`);
    return row;
  }

  async delete(caller: AuthenticatedCaller, clusterId: string, table: string, rowId: string): Promise<void> {
    checkTableName(table);
    checkRowId(rowId);
    const cluster = await this.access.cluster(caller, clusterId, 'database.write');
    // No key is needed to drop a ciphertext, but a cluster whose key is unavailable is closed to every
    // read and write alike (seed 004: "you lose access to the data"), not half-usable.
    assertClusterKeyUsable(cluster);
    if (!(await this.rows.delete(cluster.id, table, rowId))) throw new DomainError('NOT_FOUND_ERR', `Table ${table} has no row with id ${rowId}`);
  }

  /** Decrypts the table's rows and keeps those matching the filters (the server cannot filter ciphertext). */
  async list(caller: AuthenticatedCaller, clusterId: string, table: string, query: Record<string, unknown>): Promise<JsonRow[]> {
    checkTableName(table);
    const filter = rowFilter(query);
    const cluster = await this.access.cluster(caller, clusterId, 'database.read');
    assertClusterKeyUsable(cluster);
    const found: JsonRow[] = [];
    for (const sealed of await this.rows.list(cluster.id, table)) {
      const row = await this.open(cluster, table, sealed.rowId, sealed.ciphertext);
      if (filter.matches(row)) found.push(row);
      if (found.length >= filter.limit) break;
    }
    return found;
  }

  private async open(cluster: ClusterRecord, table: string, rowId: string, ciphertext: string): Promise<JsonRow> {
    assertClusterKeyUsable(cluster);
    return JSON.parse(await this.keys.decrypt(this.keys.dataKey(cluster), ciphertext, rowAad(cluster.id, table, rowId))) as JsonRow;
  }
}
