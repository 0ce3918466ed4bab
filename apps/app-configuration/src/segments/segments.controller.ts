import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { z } from 'zod';
import { DomainError } from '@keyward/contracts';
import { parsePayload } from '@keyward/platform';
import { CurrentInstance } from '../access/app-config.guard';
import { INSTANCE_ROUTE, Requires } from '../access/routes';
import { idSchema } from '../flags/flag-definition';
import type { AppConfigInstance } from '../instances/instance.repository';
import { SegmentsService } from './segments.service';

// `rules` is checked by parseSegmentRules, which names the offending rule.
const segmentSchema = z.object({ segment_id: idSchema, name: z.string().min(1).max(128), description: z.string().max(1024).default(''), rules: z.unknown() });

@Controller(INSTANCE_ROUTE)
export class SegmentsController {
  constructor(private readonly segments: SegmentsService) {}

  @Get('segments')
  @Requires('segments.read')
  async list(@CurrentInstance() instance: AppConfigInstance) {
    const segments = await this.segments.list(instance.guid);
    return { segments, total_count: segments.length };
  }

  @Post('segments')
  @Requires('segments.write')
  create(@CurrentInstance() instance: AppConfigInstance, @Body() body: unknown) {
    const input = parsePayload(segmentSchema, body);
    return this.segments.write(instance.guid, { segmentId: input.segment_id, name: input.name, description: input.description, rules: input.rules }, 'create');
  }

  @Get('segments/:id')
  @Requires('segments.read')
  get(@CurrentInstance() instance: AppConfigInstance, @Param('id') id: string) {
    return this.segments.get(instance.guid, id);
  }

  @Put('segments/:id')
  @Requires('segments.write')
  replace(@CurrentInstance() instance: AppConfigInstance, @Param('id') id: string, @Body() body: unknown) {
    const input = parsePayload(segmentSchema, body);
    if (input.segment_id !== id) throw new DomainError('INVALID_FIELD_ERR', 'segment_id must equal the id in the path', { target: { type: 'field', name: 'segment_id' } });
    return this.segments.write(instance.guid, { segmentId: id, name: input.name, description: input.description, rules: input.rules }, 'replace');
  }

  @Delete('segments/:id')
  @Requires('segments.write')
  @HttpCode(204)
  remove(@CurrentInstance() instance: AppConfigInstance, @Param('id') id: string) {
    return this.segments.remove(instance.guid, id);
  }
}
