import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { Authenticated, type AuthenticatedCaller, Caller, KeywardAuthGuard } from '@keyward/platform';
import { clusterView, nodeView } from './cluster-view';
import { ClustersService } from './clusters.service';

/** `/api/v1/clusters`: clusters, their overview (KMS instance and key) and nodes (key status). */
@Controller('api/v1/clusters')
@UseGuards(KeywardAuthGuard)
@Authenticated()
export class ClustersController {
  constructor(private readonly clusters: ClustersService) {}

  @Post()
  @HttpCode(201)
  async create(@Caller() caller: AuthenticatedCaller, @Body() body: unknown) {
    return clusterView(await this.clusters.create(caller, body));
  }

  @Get()
  async list(@Caller() caller: AuthenticatedCaller) {
    return { clusters: (await this.clusters.list(caller)).map(clusterView) };
  }

  @Get(':id')
  async get(@Caller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return clusterView(await this.clusters.get(caller, id));
  }

  @Patch(':id')
  async update(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Body() body: unknown) {
    return clusterView(await this.clusters.update(caller, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Caller() caller: AuthenticatedCaller, @Param('id') id: string): Promise<void> {
    await this.clusters.delete(caller, id);
  }

  @Get(':id/nodes')
  async nodes(@Caller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return { nodes: (await this.clusters.get(caller, id)).nodes.map(nodeView) };
  }
}
