import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { Authenticated, type AuthenticatedCaller, Caller, KeywardAuthGuard } from '@keyward/platform';
import { clusterView } from '../clusters/cluster-view';
import type { BackupRecord } from './backups.repository';
import { BackupsService } from './backups.service';

function backupView(backup: BackupRecord) {
  return { id: backup.id, clusterId: backup.clusterId, backupKeyCrn: backup.backupKeyCrn, keyVersionId: backup.keyVersionId, rowCount: backup.rowCount, createdAt: backup.createdAt.toISOString() };
}

/** `/api/v1/clusters/{id}/backups`: on-demand backups and restore into a new cluster. */
@Controller('api/v1/clusters/:id/backups')
@UseGuards(KeywardAuthGuard)
@Authenticated()
export class BackupsController {
  constructor(private readonly backups: BackupsService) {}

  @Post()
  @HttpCode(201)
  async create(@Caller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return backupView(await this.backups.create(caller, id));
  }

  @Get()
  async list(@Caller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return { backups: (await this.backups.list(caller, id)).map(backupView) };
  }

  @Post(':backupId/restore')
  @HttpCode(201)
  async restore(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Param('backupId') backupId: string, @Body() body: unknown) {
    return clusterView(await this.backups.restore(caller, id, backupId, body));
  }
}
