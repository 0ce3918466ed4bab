import { DomainError, type ServiceInstance } from '@keyward/contracts';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AllowRemovedSource, Authenticated, type AuthenticatedCaller, Authorize, KeywardAuthGuard, type RemovedSourceRule } from './auth.guard';
import type { AuthzDecider } from './authz-client';
import type { JwtVerifier } from './jwt-verifier';
import type { Principal } from './principal';

const A = 'a'.repeat(32);
const GUID = '11111111-1111-4111-8111-111111111111';
const CRN = `crn:v1:keyward:public:apprapp:us-south:a/${A}:${GUID}::`;
const tombstone: ServiceInstance = {
  guid: GUID,
  crn: CRN,
  name: 'cfg',
  service: 'apprapp',
  plan: 'standard',
  target: 'us-south',
  resource_group_id: '1'.repeat(32),
  account_id: A,
  parameters: {},
  state: 'removed',
  created_at: '2026-01-01T00:00:00.000Z',
  removed_at: '2026-02-01T00:00:00.000Z',
};
const { removed_at: _removedAt, ...alive } = tombstone;
const live: ServiceInstance = { ...alive, state: 'active' };
const apprapp: Principal = { iamId: 'iam-ServiceId-apprapp', sub: 's', subType: 'ServiceId', accountId: 'b'.repeat(32), serviceName: 'apprapp' };

/** A guard over one route (a class carrying the route's decorators), the caller's token verified as `principal`. */
function guardFor(decorators: ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => void)[], state: string) {
  class Route {
    handle(): string {
      return 'handled';
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Route.prototype, 'handle') as PropertyDescriptor;
  for (const decorate of decorators) decorate(Route.prototype, 'handle', descriptor);
  const decisions: unknown[] = [];
  const decider: AuthzDecider = { check: async (request) => (decisions.push(request), { decision: 'allow' }) };
  const verifier = { verify: async () => apprapp } as unknown as JwtVerifier;
  const guard = new KeywardAuthGuard(new Reflector(), verifier, decider, async (guid) => (guid === GUID ? (state === 'removed' ? tombstone : live) : undefined));
  const request: { headers: Record<string, string>; params: Record<string, string>; keywardCaller?: AuthenticatedCaller } = {
    headers: { authorization: 'Bearer x', 'x-keyward-source-crn': CRN },
    params: { crn: CRN },
  };
  const context = {
    getHandler: () => descriptor.value as () => string,
    getClass: () => Route,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { activate: () => guard.canActivate(context), request, decisions };
}

const sameCrn: RemovedSourceRule = (request, caller, removed) => removed.service === caller.principal.serviceName && (request.params as { crn: string }).crn === removed.crn;

describe(KeywardAuthGuard.name, () => {
  it('refuses a removed source instance on a route without AllowRemovedSource, whatever the route needs', async () => {
    for (const requirement of [Authenticated(), Authorize('kms.secrets.wrap', () => ({ serviceName: 'kms', accountId: A }))]) {
      const route = guardFor([requirement], 'removed');
      await expect(route.activate()).rejects.toMatchObject({ code: 'UNAUTHORIZED_ERR' });
      expect(route.request.keywardCaller).toBeUndefined();
      expect(route.decisions).toEqual([]);
    }
  });

  it('lets the route’s rule alone decide for a removed source instance, and marks the caller', async () => {
    const allowed = guardFor([Authorize('kms.registrations.delete', () => ({ serviceName: 'kms', accountId: A })), AllowRemovedSource(sameCrn)], 'removed');
    await expect(allowed.activate()).resolves.toBe(true);
    expect(allowed.request.keywardCaller?.removedSource).toEqual({ crn: CRN, guid: GUID, service: 'apprapp', accountId: A });
    expect(allowed.decisions).toEqual([]); // IAM grants a removed instance nothing: it is not asked

    const refused = guardFor([Authenticated(), AllowRemovedSource(() => false)], 'removed');
    const error = await refused.activate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('UNAUTHORIZED_ERR');
  });

  it('treats a live source instance as before, rule or not', async () => {
    const live = guardFor([Authorize('kms.registrations.delete', () => ({ serviceName: 'kms', accountId: A })), AllowRemovedSource(() => false)], 'active');
    await expect(live.activate()).resolves.toBe(true);
    expect(live.request.keywardCaller?.removedSource).toBeUndefined();
    expect(live.decisions).toHaveLength(1);
  });
});
