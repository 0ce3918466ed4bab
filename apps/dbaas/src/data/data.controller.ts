import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { Authenticated, type AuthenticatedCaller, Caller, KeywardAuthGuard } from '@keyward/platform';
import { DataService } from './data.service';

/** `/api/v1/clusters/{id}/tables/{table}/rows`: a cluster's data, JSON rows keyed by `id`. */
@Controller('api/v1/clusters/:id/tables/:table/rows')
@UseGuards(KeywardAuthGuard)
@Authenticated()
export class DataController {
  constructor(private readonly data: DataService) {}

  @Post()
  @HttpCode(201)
  insert(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Param('table') table: string, @Body() body: unknown) {
    return this.data.insert(caller, id, table, body);
  }

  @Get()
  async list(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Param('table') table: string, @Query() query: Record<string, unknown>) {
    return { rows: await this.data.list(caller, id, table, query) };
  }

  @Get(':rowId')
  get(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Param('table') table: string, @Param('rowId') rowId: string) {
    return this.data.get(caller, id, table, rowId);
  }

  @Put(':rowId')
  update(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Param('table') table: string, @Param('rowId') rowId: string, @Body() body: unknown) {
    return this.data.update(caller, id, table, rowId, body);
  }

  @Delete(':rowId')
  @HttpCode(204)
  async delete(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Param('table') table: string, @Param('rowId') rowId: string): Promise<void> {
    await this.data.delete(caller, id, table, rowId);
  }
}
