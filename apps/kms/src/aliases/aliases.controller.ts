import { Controller, Delete, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authenticated, Caller } from '@keyward/platform';
import { Instance, KmsAuthGuard } from '../access/kms-auth.guard';
import type { KmsRequest } from '../access/kms-request';
import type { KmsInstance } from '../instances/instance.repository';
import { AliasesService } from './aliases.service';

/** `/api/v2/keys/{idOrAlias}/aliases/{alias}`: 201 with the alias; delete 204 with no body (the Go client reads none). */
@Controller('api/v2/keys')
@UseGuards(KmsAuthGuard)
export class AliasesController {
  constructor(private readonly aliases: AliasesService) {}

  @Post(':id/aliases/:alias')
  @Authenticated()
  @HttpCode(201)
  create(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Param('alias') alias: string, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'createAlias', keyId: id };
    return this.aliases.create(caller, instance, id, alias);
  }

  @Delete(':id/aliases/:alias')
  @Authenticated()
  @HttpCode(204)
  async delete(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Param('alias') alias: string, @Req() request: KmsRequest): Promise<void> {
    request.kmsAudit = { action: 'deleteAlias', keyId: id };
    await this.aliases.delete(caller, instance, id, alias);
  }
}
