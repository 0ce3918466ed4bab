import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { type AuthenticatedCaller, Authenticated, Caller, KeywardAuthGuard, parsePayload } from '@keyward/platform';
import { ACCOUNT_ID_PATTERN } from '@keyward/contracts';
import { IamBaseUrl } from '../endpoints/iam-base-url';
import { PoliciesService } from './policies.service';
import { type StoredPolicy, etagOf, parseV1Body, parseV2Body, renderV1, renderV2 } from './policy-wire';

const listQuery = z.object({
  account_id: z.string().regex(ACCOUNT_ID_PATTERN, 'must be a 32-character account id'),
  type: z.enum(['access', 'authorization']).optional(),
  state: z.enum(['active', 'deleted']).optional(),
});
const policyId = z.string().uuid();

/** IBM's policy APIs in both shapes: `/v1/policies` (subjects/resources) and `/v2/policies` (subject/resource/control). */
@Controller()
@UseGuards(KeywardAuthGuard)
@Authenticated()
export class PoliciesController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly baseUrl: IamBaseUrl,
  ) {}

  @Post('v1/policies')
  async createV1(@Caller() caller: AuthenticatedCaller, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const policy = await this.policies.create(caller, parseV1Body(body));
    return this.send(reply.status(201), policy, 'v1');
  }

  @Post('v2/policies')
  async createV2(@Caller() caller: AuthenticatedCaller, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const policy = await this.policies.create(caller, parseV2Body(body));
    return this.send(reply.status(201), policy, 'v2');
  }

  @Get('v1/policies')
  async listV1(@Caller() caller: AuthenticatedCaller, @Query() query: unknown) {
    const q = parsePayload(listQuery, query, 'INVALID_QUERY_PARAM_ERR');
    const list = await this.policies.list(caller, { accountId: q.account_id, ...(q.type ? { type: q.type } : {}), ...(q.state ? { state: q.state } : {}) });
    return { policies: list.map((p) => renderV1(p, this.baseUrl.get())) };
  }

  @Get('v2/policies')
  async listV2(@Caller() caller: AuthenticatedCaller, @Query() query: unknown) {
    const q = parsePayload(listQuery, query, 'INVALID_QUERY_PARAM_ERR');
    const list = await this.policies.list(caller, { accountId: q.account_id, ...(q.type ? { type: q.type } : {}), ...(q.state ? { state: q.state } : {}) });
    return { policies: list.map((p) => renderV2(p, this.baseUrl.get())) };
  }

  @Get('v1/policies/:id')
  async getV1(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.send(reply, await this.policies.get(caller, this.id(id)), 'v1');
  }

  @Get('v2/policies/:id')
  async getV2(@Caller() caller: AuthenticatedCaller, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.send(reply, await this.policies.get(caller, this.id(id)), 'v2');
  }

  @Put('v1/policies/:id')
  async updateV1(
    @Caller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.send(reply, await this.policies.update(caller, this.id(id), ifMatch, parseV1Body(body)), 'v1');
  }

  @Put('v2/policies/:id')
  async updateV2(
    @Caller() caller: AuthenticatedCaller,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.send(reply, await this.policies.update(caller, this.id(id), ifMatch, parseV2Body(body)), 'v2');
  }

  @Delete(['v1/policies/:id', 'v2/policies/:id'])
  @HttpCode(204)
  async delete(@Caller() caller: AuthenticatedCaller, @Param('id') id: string): Promise<void> {
    await this.policies.delete(caller, this.id(id));
  }

  private id(id: string): string {
    // A malformed id cannot name a policy: the same 404 as an unknown one.
    return policyId.safeParse(id).success ? id : '00000000-0000-0000-0000-000000000000';
  }

  private send(reply: FastifyReply, policy: StoredPolicy, shape: 'v1' | 'v2') {
    void reply.header('ETag', etagOf(policy));
    return shape === 'v1' ? renderV1(policy, this.baseUrl.get()) : renderV2(policy, this.baseUrl.get());
  }
}
