import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import type { AuthzService } from '../authz/authz.service';

/** IAM's own management APIs act on the pseudo-service `iam` of an account (platform roles). */
export const IAM_SERVICE = 'iam';

export async function isAllowed(authz: AuthzService, caller: AuthenticatedCaller, action: string, resource: { accountId: string; serviceName: string; serviceInstance?: string; resourceGroupId?: string }): Promise<boolean> {
  const { decision } = await authz.check({ subject: caller.subject, action, resource });
  return decision === 'allow';
}

/** Refuses with 401, as Key Protect does for anything the caller may not do or see. */
export async function requireAllowed(...args: Parameters<typeof isAllowed>): Promise<void> {
  if (!(await isAllowed(...args))) throw new DomainError('UNAUTHORIZED_ERR');
}
