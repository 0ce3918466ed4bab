import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@keyward/contracts';
import { AUTHZ_DECIDER, type AuthenticatedCaller, type AuthzDecider, KeywardAuthGuard } from '@keyward/platform';
import type { AppConfigInstance } from '../instances/instance.repository';
import { InstancesService } from '../instances/instances.service';

/** The action a route needs on the instance, without the `apprapp.` prefix (libs/contracts iam.roles.ts). */
export type AppConfigAction =
  | `${'environments' | 'collections' | 'features' | 'properties' | 'segments'}.${'read' | 'write'}`
  | 'instance.kms-integration.write';

const ACTION = 'keyward:app-config-action';
/** Which role grants each action, for the refusal's message. */
const ROLE_OF = (action: AppConfigAction) => (action.endsWith('.read') ? 'Reader' : action.endsWith('.write') && !action.startsWith('instance.') ? 'Writer' : 'Manager');

export const RequiresAction = (action: AppConfigAction) => SetMetadata(ACTION, action);

type AppConfigRequest = FastifyRequest & { appConfigInstance?: AppConfigInstance };

/**
 * The platform guard (token, source CRN; routes carry `@Authenticated()`), then the instance of the
 * path's `:guid` from IAM's registry, then IAM's decision on `apprapp.<action>` for that instance.
 * Refusals: no/invalid token 401, unknown instance 404, role missing 403 naming the role.
 */
@Injectable()
export class AppConfigGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly platform: KeywardAuthGuard,
    private readonly instances: InstancesService,
    @Inject(AUTHZ_DECIDER) private readonly decider: AuthzDecider,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.platform.canActivate(context);
    const action = this.reflector.getAllAndOverride<AppConfigAction | undefined>(ACTION, [context.getHandler(), context.getClass()]);
    if (!action) throw new DomainError('FORBIDDEN_ERR');
    const request = context.switchToHttp().getRequest<AppConfigRequest & { keywardCaller?: AuthenticatedCaller }>();
    const instance = await this.instances.resolve((request.params as { guid?: string }).guid);
    const caller = request.keywardCaller as AuthenticatedCaller;
    const decision = await this.decider.check({
      subject: caller.subject,
      action: `apprapp.${action}`,
      resource: { serviceName: 'apprapp', accountId: instance.accountId, serviceInstance: instance.guid },
    });
    if (decision.decision !== 'allow') {
      throw new DomainError('FORBIDDEN_ERR', `This needs the ${ROLE_OF(action)} role (apprapp.${action}) on App Configuration instance ${instance.guid}`);
    }
    request.appConfigInstance = instance;
    return true;
  }
}

/** The instance the guard resolved and authorized. */
export const CurrentInstance = createParamDecorator((_data: unknown, context: ExecutionContext): AppConfigInstance => {
  const instance = context.switchToHttp().getRequest<AppConfigRequest>().appConfigInstance;
  if (!instance) throw new DomainError('UNAUTHORIZED_ERR');
  return instance;
});
