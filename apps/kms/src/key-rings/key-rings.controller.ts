import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authenticated, Caller } from '@keyward/platform';
import { Instance, KmsAuthGuard } from '../access/kms-auth.guard';
import type { KmsRequest } from '../access/kms-request';
import type { KmsInstance } from '../instances/instance.repository';
import { KeyRingsService } from './key-rings.service';

/**
 * `/api/v2/key_rings`. Create and delete answer with no body at all: the Go client unmarshals their
 * body into nil and fails on anything non-empty (KEY-PROTECT-API.md §2).
 */
@Controller('api/v2/key_rings')
@UseGuards(KmsAuthGuard)
export class KeyRingsController {
  constructor(private readonly rings: KeyRingsService) {}

  @Get()
  @Authenticated()
  list(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Query() query: Record<string, string>, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'listKeyRings' };
    return this.rings.list(caller, instance, query);
  }

  @Post(':keyRingId')
  @Authenticated()
  @HttpCode(201)
  async create(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('keyRingId') id: string, @Req() request: KmsRequest): Promise<void> {
    request.kmsAudit = { action: 'createKeyRing' };
    await this.rings.create(caller, instance, id);
  }

  @Delete(':keyRingId')
  @Authenticated()
  @HttpCode(204)
  async delete(
    @Caller() caller: AuthenticatedCaller,
    @Instance() instance: KmsInstance,
    @Param('keyRingId') id: string,
    @Query('force') force: string | undefined,
    @Body() body: unknown,
    @Req() request: KmsRequest,
  ): Promise<void> {
    request.kmsAudit = { action: 'deleteKeyRing' };
    await this.rings.delete(caller, instance, id, force, body);
  }
}

/** `PATCH /api/v2/keys/{idOrAlias}`: moves a key to another ring (its own controller: KeysController stays as it was). */
@Controller('api/v2/keys')
@UseGuards(KmsAuthGuard)
export class KeyRingMoveController {
  constructor(private readonly rings: KeyRingsService) {}

  @Patch(':id')
  @Authenticated()
  patch(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'patch', keyId: id };
    return this.rings.moveKey(caller, instance, id, body);
  }
}
