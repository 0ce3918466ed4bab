import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { type AuthzCheckRequest, type AuthzCheckResponse, DomainError, authzCheckRequestSchema } from '@keyward/contracts';
import { type AuthenticatedCaller, Authenticated, Caller, KeywardAuthGuard, parsePayload } from '@keyward/platform';
import { IAM_SERVICE, isAllowed } from '../common/caller-checks';
import { AuthzService } from './authz.service';

/**
 * `POST /v2/authz`: the decision API over HTTP, same body and answer as rpc.iam.authz.check.v1. A
 * service may ask about anything (it decides for its callers); a user only about itself, or about an
 * account it administers (iam.policy.read).
 */
@Controller('v2/authz')
@UseGuards(KeywardAuthGuard)
@Authenticated()
export class AuthzController {
  constructor(private readonly authz: AuthzService) {}

  @Post()
  @HttpCode(200)
  async decide(@Caller() caller: AuthenticatedCaller, @Body() body: unknown): Promise<AuthzCheckResponse> {
    const request: AuthzCheckRequest = parsePayload(authzCheckRequestSchema, body);
    const asksAboutItself = request.subject.iam_id === caller.principal.iamId;
    if (!caller.principal.serviceName && !asksAboutItself) {
      const admin = await isAllowed(this.authz, caller, 'iam.policy.read', { serviceName: IAM_SERVICE, accountId: request.resource.accountId });
      if (!admin) throw new DomainError('UNAUTHORIZED_ERR');
    }
    return this.authz.check(request);
  }
}
