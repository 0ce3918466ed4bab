import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { DomainError } from '@keyward/contracts';
import { parsePayload } from '@keyward/platform';
import { CurrentInstance } from '../access/app-config.guard';
import { INSTANCE_ROUTE, Requires } from '../access/routes';
import { idSchema } from '../flags/flag-definition';
import type { AppConfigInstance } from '../instances/instance.repository';
import { type CatalogEntry, CatalogRepository } from './catalog.repository';

const environmentSchema = z.object({ environment_id: idSchema, name: z.string().min(1).max(128), description: z.string().max(1024).default('') });
const collectionSchema = z.object({ collection_id: idSchema, name: z.string().min(1).max(128), description: z.string().max(1024).default('') });

@Controller(INSTANCE_ROUTE)
export class CatalogController {
  constructor(private readonly catalog: CatalogRepository) {}

  @Get('environments')
  @Requires('environments.read')
  async environments(@CurrentInstance() instance: AppConfigInstance) {
    const entries = await this.catalog.list('environment', instance.guid);
    return { environments: entries.map((entry) => view('environment', entry)), total_count: entries.length };
  }

  @Post('environments')
  @Requires('environments.write')
  async createEnvironment(@CurrentInstance() instance: AppConfigInstance, @Body() body: unknown) {
    const input = parsePayload(environmentSchema, body);
    return view('environment', await this.catalog.create('environment', instance.guid, { id: input.environment_id, name: input.name, description: input.description }));
  }

  @Delete('environments/:id')
  @Requires('environments.write')
  @HttpCode(204)
  async removeEnvironment(@CurrentInstance() instance: AppConfigInstance, @Param('id') id: string) {
    if (!(await this.catalog.remove('environment', instance.guid, id))) throw new DomainError('NOT_FOUND_ERR', `Environment ${id} does not exist`);
  }

  @Get('collections')
  @Requires('collections.read')
  async collections(@CurrentInstance() instance: AppConfigInstance) {
    const entries = await this.catalog.list('collection', instance.guid);
    return { collections: entries.map((entry) => view('collection', entry)), total_count: entries.length };
  }

  @Post('collections')
  @Requires('collections.write')
  async createCollection(@CurrentInstance() instance: AppConfigInstance, @Body() body: unknown) {
    const input = parsePayload(collectionSchema, body);
    return view('collection', await this.catalog.create('collection', instance.guid, { id: input.collection_id, name: input.name, description: input.description }));
  }

  @Delete('collections/:id')
  @Requires('collections.write')
  @HttpCode(204)
  async removeCollection(@CurrentInstance() instance: AppConfigInstance, @Param('id') id: string) {
    if (!(await this.catalog.remove('collection', instance.guid, id))) throw new DomainError('NOT_FOUND_ERR', `Collection ${id} does not exist`);
  }
}

function view(kind: 'environment' | 'collection', entry: CatalogEntry) {
  return { [`${kind}_id`]: entry.id, name: entry.name, description: entry.description, created_time: entry.createdAt.toISOString() };
}
