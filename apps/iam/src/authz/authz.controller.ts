import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { type AuthzCheckRequest, type AuthzCheckResponse, DomainError, authzCheckRequestSchema, mayActFor } from '@keyward/contracts';
import { type AuthenticatedCaller, Authenticated, Caller, KeywardAuthGuard, parsePayload } from '@keyward/platform';
import { IAM_SERVICE, isAllowed } from '../common/caller-checks';
import { AuthzService } from './authz.service';

/**
 * `POST /v2/authz`: the decision API over HTTP, same body and answer as rpc.iam.authz.check.v1. An
 * administrator of the resource's account (iam.policy.read) may ask about any subject; otherwise a
 * caller may ask only about itself: a user exactly as itself (its iam_id and account, nothing else:
 * no service, instance or group to probe the account's authorization policies with), a Keyward
 * service about its own service (or one it acts for, as its dependents). Anything else is 401.
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
    if (!asksAboutItself(caller, request.subject)) {
      const admin = await isAllowed(this.authz, caller, 'iam.policy.read', { serviceName: IAM_SERVICE, accountId: request.resource.accountId });
      if (!admin) throw new DomainError('UNAUTHORIZED_ERR');
    }
    return this.authz.check(request);
  }
}

function asksAboutItself(caller: AuthenticatedCaller, subject: AuthzCheckRequest['subject']): boolean {
  const { principal } = caller;
  if (principal.serviceName) {
    // A service's subject is its service (with or without a source instance), never someone's iam_id.
    if (subject.iam_id !== undefined && subject.iam_id !== principal.iamId) return false;
    return subject.serviceName !== undefined && mayActFor(principal.serviceName, subject.serviceName);
  }
  return (
    subject.iam_id === principal.iamId &&
    subject.accountId === principal.accountId &&
    subject.serviceName === undefined &&
    subject.serviceInstance === undefined &&
    subject.resourceGroupId === undefined
  );
}
