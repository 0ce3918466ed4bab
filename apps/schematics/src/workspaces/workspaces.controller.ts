import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authorize, Caller, KeywardAuthGuard } from '@keyward/platform';
import { WorkspacesService, workspaceView } from './workspaces.service';

const onAccount = (_request: unknown, caller: AuthenticatedCaller) => ({ serviceName: 'schematics', accountId: caller.principal.accountId });

/** Thin: the rules live in WorkspacesService (docs/consumers/schematics.md). */
@Controller('v1/workspaces')
@UseGuards(KeywardAuthGuard)
export class WorkspacesController {
  constructor(private readonly workspaces: WorkspacesService) {}

  @Post()
  @HttpCode(201)
  @Authorize('schematics.workspace.write', onAccount)
  async create(@Caller() caller: AuthenticatedCaller, @Body() body: unknown) {
    return workspaceView(await this.workspaces.create(caller.principal.accountId, body));
  }

  @Get()
  @Authorize('schematics.workspace.read', onAccount)
  async list(@Caller() caller: AuthenticatedCaller) {
    const workspaces = await this.workspaces.list(caller.principal.accountId);
    return { count: workspaces.length, workspaces: workspaces.map(workspaceView) };
  }

  @Get(':id')
  @Authorize('schematics.workspace.read', onAccount)
  async get(@Caller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return workspaceView(await this.workspaces.get(caller.principal.accountId, id));
  }

  @Patch(':id')
  @Authorize('schematics.workspace.write', onAccount)
  async update(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Body() body: unknown) {
    return workspaceView(await this.workspaces.update(caller.principal.accountId, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @Authorize('schematics.workspace.delete', onAccount)
  async delete(@Caller() caller: AuthenticatedCaller, @Param('id') id: string): Promise<void> {
    await this.workspaces.delete(caller.principal.accountId, id);
  }

  @Get(':id/variables')
  @Authorize('schematics.workspace.variables.read', onAccount)
  async variables(@Caller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return { variables: await this.workspaces.variables(caller.principal.accountId, id) };
  }

  @Put(':id/state')
  @HttpCode(204)
  @Authorize('schematics.workspace.state.write', onAccount)
  async writeState(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Body() body: unknown): Promise<void> {
    await this.workspaces.writeState(caller.principal.accountId, id, body);
  }

  @Get(':id/state')
  @Authorize('schematics.workspace.state.read', onAccount)
  async readState(@Caller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return { state: await this.workspaces.readState(caller.principal.accountId, id) };
  }
}
