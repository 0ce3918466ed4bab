import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authenticated, Caller } from '@keyward/platform';
import { Instance, KmsAuthGuard } from '../access/kms-auth.guard';
import type { KmsRequest } from '../access/kms-request';
import type { KmsInstance } from '../instances/instance.repository';
import { ImportTokensService } from './import-tokens.service';

/** `POST /api/v2/import_token` (200, as the Node SDK's test expects) and `GET /api/v2/import_token`. */
@Controller('api/v2/import_token')
@UseGuards(KmsAuthGuard)
export class ImportTokensController {
  constructor(private readonly tokens: ImportTokensService) {}

  @Post()
  @Authenticated()
  @HttpCode(200)
  create(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'importtoken.create' };
    return this.tokens.create(caller, instance, body);
  }

  @Get()
  @Authenticated()
  retrieve(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'importtoken.read' };
    return this.tokens.retrieve(caller, instance);
  }
}
