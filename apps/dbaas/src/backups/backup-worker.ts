import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import type { WrappedDataKey } from '@keyward/kms-client';
import type { ClusterRecord } from '../clusters/clusters.repository';
import { rowAad } from '../data/row-input';
import { type SealedRow, RowsRepository } from '../data/rows.repository';
import { ClusterKeys } from '../keys/cluster-keys';
import { BackupKms } from '../keys/dbaas-keys';
import { assertClusterKeyUsable } from '../keys/key-status-guard';
import { keyChoiceRefusal } from '../keys/kms-errors';
import { type BackupRecord, BackupsRepository } from './backups.repository';

const DELEGATION_HINT =
  'the backup worker runs as hyperp-dbaas-backup, which reaches a key only through an authorization hyperp-dbaas-postgresql → kms (Reader) created with delegation ' +
  '(keyward iam authorization-policy-create hyperp-dbaas-postgresql kms Reader --delegate …, or "delegate_dependents": true in the policy)';

/** A backup's plaintext snapshot (only ever in memory). */
export interface Snapshot {
  rows: { table: string; id: string; json: string }[];
}

function backupAad(backupId: string): string {
  return JSON.stringify(['backup', backupId]);
}

/**
 * The backup worker: runs as `hyperp-dbaas-backup` (its own token, KMS client and DEK cache), which
 * reaches the clusters' keys only through IAM authorization delegation from `hyperp-dbaas-postgresql`.
 * Each backup is sealed under its own DEK, wrapped by the cluster's backup key.
 */
@Injectable()
export class BackupWorker {
  constructor(
    private readonly kms: BackupKms,
    private readonly keys: ClusterKeys,
    private readonly rows: RowsRepository,
    private readonly backups: BackupsRepository,
  ) {}

  async backUp(cluster: ClusterRecord): Promise<BackupRecord> {
    assertClusterKeyUsable(cluster);
    const clusterKey = this.keys.dataKey(cluster);
    const snapshot: Snapshot = { rows: [] };
    for (const sealed of await this.rows.list(cluster.id)) {
      const json = await this.guard(() => this.kms.envelope.decryptToString(clusterKey, sealed.ciphertext, rowAad(cluster.id, sealed.tableName, sealed.rowId)), 'The cluster\'s data could not be read for the backup');
      snapshot.rows.push({ table: sealed.tableName, id: sealed.rowId, json });
    }
    const id = randomUUID();
    const backupKey = await this.guard(
      () => this.kms.envelope.createDataKey(this.keys.ref(cluster.backupKeyCrn, cluster.crn), { kmsAad: [cluster.crn, id] }),
      `The backup key ${cluster.backupKeyCrn} cannot protect a backup`,
    );
    const ciphertext = await this.kms.envelope.encrypt(backupKey, JSON.stringify(snapshot), backupAad(id));
    return this.backups.create({
      id,
      clusterId: cluster.id,
      backupKeyCrn: cluster.backupKeyCrn,
      wrappedDek: backupKey.wrappedDek,
      keyVersionId: backupKey.keyVersionId,
      ciphertext,
      rowCount: snapshot.rows.length,
    });
  }

  /** The backup's rows, opened with the backup key (as the cluster it was taken from). */
  async open(cluster: ClusterRecord, backup: BackupRecord): Promise<Snapshot> {
    const dataKey: WrappedDataKey = {
      ref: this.keys.ref(backup.backupKeyCrn, cluster.crn),
      wrappedDek: backup.wrappedDek,
      keyVersionId: backup.keyVersionId,
      kmsAad: [cluster.crn, backup.id],
    };
    const json = await this.guard(() => this.kms.envelope.decryptToString(dataKey, backup.ciphertext, backupAad(backup.id)), `The backup ${backup.id} cannot be opened`);
    return JSON.parse(json) as Snapshot;
  }

  /** Seals a snapshot's rows under a (new) cluster's data key, bound to that cluster. */
  async sealFor(target: ClusterRecord, snapshot: Snapshot): Promise<SealedRow[]> {
    const dataKey = this.keys.dataKey(target);
    const sealed: SealedRow[] = [];
    for (const row of snapshot.rows) {
      sealed.push({ tableName: row.table, rowId: row.id, ciphertext: await this.keys.encrypt(dataKey, row.json, rowAad(target.id, row.table, row.id)) });
    }
    return sealed;
  }

  private async guard<T>(run: () => Promise<T>, doing: string): Promise<T> {
    try {
      return await run();
    } catch (error) {
      // Also a key blocked by its last lifecycle event says what the worker was doing (which backup).
      const refusal = keyChoiceRefusal(error, doing);
      if (refusal instanceof DomainError && refusal.code === 'KMS_AUTHORIZATION_MISSING_ERR') {
        throw new DomainError('KMS_AUTHORIZATION_MISSING_ERR', `${doing}: ${DELEGATION_HINT}`, { cause: error });
      }
      throw refusal;
    }
  }
}
