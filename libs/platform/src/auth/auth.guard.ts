import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { type AuthzCheckRequest, DomainError, HEADERS } from '@keyward/contracts';
import type { AuthzDecider } from './authz-client';
import { bearerToken, type Principal } from './principal';
import { type AuthzSubject, type InstanceLookup, type RemovedSource, removedRefusal, resolveSource } from './source-crn';
import type { JwtVerifier } from './jwt-verifier';

export const AUTH_VERIFIER = Symbol('AUTH_VERIFIER');
export const AUTHZ_DECIDER = Symbol('AUTHZ_DECIDER');
export const INSTANCE_LOOKUP = Symbol('INSTANCE_LOOKUP');

/** What a route needs: only a valid token, or an allowed action on a resource built from the request. */
export type AuthRequirement =
  | { kind: 'authenticated' }
  | {
      kind: 'action';
      action: string;
      resource: (request: FastifyRequest, caller: AuthenticatedCaller) => AuthzCheckRequest['resource'] | Promise<AuthzCheckRequest['resource']>;
    };

export interface AuthenticatedCaller {
  principal: Principal;
  /** The decision subject (the caller, or the service acting for its source CRN). */
  subject: AuthzSubject;
  /** The id of the policy that allowed the route's action, when it had one. */
  policyId?: string;
  /** Set only on a route with AllowRemovedSource whose rule accepted this removed source instance. */
  removedSource?: RemovedSource;
}

/** Decides whether a call whose source instance was removed may go on (no IAM decision is asked for it). */
export type RemovedSourceRule = (request: FastifyRequest, caller: AuthenticatedCaller, removed: RemovedSource) => boolean | Promise<boolean>;

const AUTH_REQUIREMENT = 'keyward:auth-requirement';
const REMOVED_SOURCE_RULE = 'keyward:removed-source-rule';

/**
 * A call naming a removed source instance (X-Keyward-Source-CRN of a deleted instance) is refused on
 * every route but those with this decorator, and there only when `rule` says yes; the rule then
 * replaces the route's IAM decision (IAM grants a removed instance nothing). For the cleanup a
 * deleted instance needs (the KMS: unregister it), nothing else.
 */
export const AllowRemovedSource = (rule: RemovedSourceRule) => SetMetadata(REMOVED_SOURCE_RULE, rule);

/** The route needs a valid IAM token and nothing more (the handler decides the rest). */
export const Authenticated = () => SetMetadata(AUTH_REQUIREMENT, { kind: 'authenticated' } satisfies AuthRequirement);

/** The route needs IAM to allow `action` on the resource `resource(request)` for the caller. */
export const Authorize = (action: string, resource: Extract<AuthRequirement, { kind: 'action' }>['resource']) =>
  SetMetadata(AUTH_REQUIREMENT, { kind: 'action', action, resource } satisfies AuthRequirement);

type RequestWithCaller = FastifyRequest & { keywardCaller?: AuthenticatedCaller };

/** The caller the guard authenticated (use on routes behind KeywardAuthGuard). */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedCaller => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().keywardCaller;
  if (!caller) throw new DomainError('UNAUTHORIZED_ERR');
  return caller;
});

/**
 * Every app's HTTP guard: verifies the bearer JWT locally, resolves X-Keyward-Source-CRN into the
 * decision subject, and asks IAM whether the route's action is allowed. Deny by default: a route
 * under this guard without @Authenticated or @Authorize is refused, and so is a source CRN naming a
 * removed instance unless the route's @AllowRemovedSource rule accepts it.
 */
@Injectable()
export class KeywardAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_VERIFIER) private readonly verifier: JwtVerifier,
    @Inject(AUTHZ_DECIDER) private readonly decider: AuthzDecider,
    @Inject(INSTANCE_LOOKUP) private readonly lookupInstance: InstanceLookup,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.reflector.getAllAndOverride<AuthRequirement | undefined>(AUTH_REQUIREMENT, [context.getHandler(), context.getClass()]);
    if (!requirement) throw new DomainError('UNAUTHORIZED_ERR');
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    const principal = await this.verifier.verify(bearerToken(request.headers.authorization));
    const sourceCrn = request.headers[HEADERS.sourceCrn];
    const { subject, removedSource } = await resolveSource(principal, Array.isArray(sourceCrn) ? sourceCrn[0] : sourceCrn, this.lookupInstance);
    const caller: AuthenticatedCaller = { principal, subject };
    if (removedSource) {
      const rule = this.reflector.getAllAndOverride<RemovedSourceRule | undefined>(REMOVED_SOURCE_RULE, [context.getHandler(), context.getClass()]);
      const accepted: AuthenticatedCaller = { ...caller, removedSource };
      if (!rule || !(await rule(request, accepted, removedSource))) throw removedRefusal();
      request.keywardCaller = accepted;
      return true;
    }
    request.keywardCaller = caller;
    if (requirement.kind === 'authenticated') return true;
    const resource = await requirement.resource(request, caller);
    const decision = await this.decider.check({ subject, action: requirement.action, resource });
    if (decision.decision !== 'allow') throw new DomainError('UNAUTHORIZED_ERR');
    if (decision.policyId) caller.policyId = decision.policyId;
    return true;
  }
}
