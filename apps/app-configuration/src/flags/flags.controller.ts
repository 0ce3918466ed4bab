import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { CurrentInstance } from '../access/app-config.guard';
import { INSTANCE_ROUTE, Requires } from '../access/routes';
import type { AppConfigInstance } from '../instances/instance.repository';
import { FlagsService } from './flags.service';

/** Features (`/features`) and properties (`/properties`) of an environment; evaluation is a Reader's call. */
@Controller(`${INSTANCE_ROUTE}/environments/:env`)
export class FlagsController {
  constructor(private readonly flags: FlagsService) {}

  @Get('features')
  @Requires('features.read')
  async listFeatures(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string) {
    const features = await this.flags.list(instance.guid, env, 'feature');
    return { features, total_count: features.length };
  }

  @Post('features')
  @Requires('features.write')
  createFeature(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string, @Body() body: unknown) {
    return this.flags.write(instance.guid, env, 'feature', body, 'create');
  }

  @Get('features/:id')
  @Requires('features.read')
  getFeature(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string, @Param('id') id: string) {
    return this.flags.get(instance.guid, env, 'feature', id);
  }

  @Put('features/:id')
  @Requires('features.write')
  replaceFeature(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string, @Param('id') id: string, @Body() body: unknown) {
    return this.flags.write(instance.guid, env, 'feature', body, 'replace', id);
  }

  @Delete('features/:id')
  @Requires('features.write')
  @HttpCode(204)
  removeFeature(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string, @Param('id') id: string) {
    return this.flags.remove(instance.guid, env, 'feature', id);
  }

  @Post('features/:id/evaluate')
  @Requires('features.read')
  @HttpCode(200)
  evaluateFeature(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string, @Param('id') id: string, @Body() body: unknown) {
    return this.flags.evaluate(instance.guid, env, 'feature', id, body);
  }

  @Get('properties')
  @Requires('properties.read')
  async listProperties(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string) {
    const properties = await this.flags.list(instance.guid, env, 'property');
    return { properties, total_count: properties.length };
  }

  @Post('properties')
  @Requires('properties.write')
  createProperty(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string, @Body() body: unknown) {
    return this.flags.write(instance.guid, env, 'property', body, 'create');
  }

  @Get('properties/:id')
  @Requires('properties.read')
  getProperty(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string, @Param('id') id: string) {
    return this.flags.get(instance.guid, env, 'property', id);
  }

  @Put('properties/:id')
  @Requires('properties.write')
  replaceProperty(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string, @Param('id') id: string, @Body() body: unknown) {
    return this.flags.write(instance.guid, env, 'property', body, 'replace', id);
  }

  @Delete('properties/:id')
  @Requires('properties.write')
  @HttpCode(204)
  removeProperty(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string, @Param('id') id: string) {
    return this.flags.remove(instance.guid, env, 'property', id);
  }

  @Post('properties/:id/evaluate')
  @Requires('properties.read')
  @HttpCode(200)
  evaluateProperty(@CurrentInstance() instance: AppConfigInstance, @Param('env') env: string, @Param('id') id: string, @Body() body: unknown) {
    return this.flags.evaluate(instance.guid, env, 'property', id, body);
  }
}
