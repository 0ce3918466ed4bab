import { Body, Controller, Delete, Get, Head, Headers, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError, HEADERS } from '@keyward/contracts';
import { type AuthenticatedCaller, Authenticated, Caller } from '@keyward/platform';
import { Instance, KmsAuthGuard } from '../access/kms-auth.guard';
import type { KmsRequest } from '../access/kms-request';
import { KeyActionsService } from '../key-actions/key-actions.service';
import type { KmsInstance } from '../instances/instance.repository';
import type { KeyListParams } from './key-list-query';
import { KeysService } from './keys.service';

/** `Prefer: return=minimal` asks for no body (delete, purge); representation is the default elsewhere. */
const wantsMinimal = (prefer: string | undefined) => /return=minimal/i.test(prefer ?? '');
const wantsRepresentation = (prefer: string | undefined) => /return=representation/i.test(prefer ?? '');

/** Thin: every rule lives in KeysService / KeyActionsService. Authorization per action happens there (it needs the key). */
@Controller('api/v2/keys')
@UseGuards(KmsAuthGuard)
export class KeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly actions: KeyActionsService,
  ) {}

  @Post()
  @Authenticated()
  @HttpCode(201)
  async create(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Body() body: unknown, @Headers(HEADERS.keyRing) keyRing: string | undefined, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'create' };
    const key = await this.keys.create(caller, instance, body, keyRing);
    request.kmsAudit.keyId = key.id;
    return this.keys.envelope(key, instance);
  }

  // Declared before GET so Fastify takes this HEAD instead of deriving one from GET.
  @Head()
  @Authenticated()
  async head(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Query() query: KeyListParams, @Res({ passthrough: true }) reply: FastifyReply, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'head' };
    const total = await this.keys.head(caller, instance, query);
    void reply.header('key-total', String(total));
    return '';
  }

  @Get()
  @Authenticated()
  list(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Query() query: KeyListParams, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'list' };
    return this.keys.list(caller, instance, query);
  }

  @Get(':id')
  @Authenticated()
  get(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'get', keyId: id };
    return this.keys.read(caller, instance, id, true);
  }

  @Get(':id/metadata')
  @Authenticated()
  metadata(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'metadata', keyId: id };
    return this.keys.read(caller, instance, id, false);
  }

  @Get(':id/versions')
  @Authenticated()
  versions(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Query() query: Record<string, string>, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'versions', keyId: id };
    return this.keys.versions(caller, instance, id, query);
  }

  @Delete(':id')
  @Authenticated()
  async delete(
    @Caller() caller: AuthenticatedCaller,
    @Instance() instance: KmsInstance,
    @Param('id') id: string,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Req() request: KmsRequest,
    @Query('force') force: string | undefined,
  ) {
    request.kmsAudit = { action: 'delete', keyId: id };
    const key = await this.keys.delete(caller, instance, id, { force: force === 'true' });
    if (!wantsRepresentation(prefer) || wantsMinimal(prefer)) return void reply.status(204);
    void reply.status(200);
    return this.keys.envelope(key, instance);
  }

  @Delete(':id/purge')
  @Authenticated()
  async purge(
    @Caller() caller: AuthenticatedCaller,
    @Instance() instance: KmsInstance,
    @Param('id') id: string,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Req() request: KmsRequest,
  ) {
    request.kmsAudit = { action: 'purge', keyId: id };
    const key = await this.keys.purge(caller, instance, id);
    if (!wantsRepresentation(prefer)) return void reply.status(204);
    void reply.status(200);
    return this.keys.envelope(key, instance);
  }

  @Post(':id/restore')
  @Authenticated()
  @HttpCode(201)
  async restore(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'restore', keyId: id };
    const key = await this.keys.restore(caller, instance, id, body);
    return this.keys.envelope(key, instance);
  }

  @Post(':id/actions/:action')
  @Authenticated()
  action(
    @Caller() caller: AuthenticatedCaller,
    @Instance() instance: KmsInstance,
    @Param('id') id: string,
    @Param('action') action: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Req() request: KmsRequest,
  ) {
    return this.dispatch(caller, instance, id, action, body, reply, request);
  }

  /** The legacy form `POST /keys/{id}?action=wrap|unwrap|…` (Key Protect's older clients). */
  @Post(':id')
  @Authenticated()
  legacyAction(
    @Caller() caller: AuthenticatedCaller,
    @Instance() instance: KmsInstance,
    @Param('id') id: string,
    @Query('action') action: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Req() request: KmsRequest,
  ) {
    if (!action) throw new DomainError('INVALID_QUERY_PARAM_ERR', 'action is required', { target: { type: 'query', name: 'action' } });
    return this.dispatch(caller, instance, id, action, body, reply, request);
  }

  private async dispatch(caller: AuthenticatedCaller, instance: KmsInstance, id: string, action: string, body: unknown, reply: FastifyReply, request: KmsRequest) {
    request.kmsAudit = { action, keyId: id };
    const noContent = async (work: Promise<void>) => {
      await work;
      void reply.status(204);
    };
    void reply.status(200);
    switch (action) {
      case 'wrap':
        return this.actions.wrap(caller, instance, id, body);
      case 'unwrap':
        return this.actions.unwrap(caller, instance, id, body);
      case 'rewrap':
        return this.actions.rewrap(caller, instance, id, body);
      case 'wrap_batch':
        return this.actions.wrapBatch(caller, instance, id, body);
      case 'unwrap_batch':
        return this.actions.unwrapBatch(caller, instance, id, body);
      case 'rotate':
        return noContent(this.actions.rotate(caller, instance, id, body));
      case 'disable':
        return noContent(this.actions.disable(caller, instance, id, body));
      case 'enable':
        return noContent(this.actions.enable(caller, instance, id, body));
      default:
        throw new DomainError('INVALID_QUERY_PARAM_ERR', `Unknown key action "${action.slice(0, 40)}"`, { target: { type: 'query', name: 'action' } });
    }
  }
}
