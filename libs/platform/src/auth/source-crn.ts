import {
  type AuthzCheckRequest,
  DomainError,
  INSTANCE_STATE,
  type ServiceInstance,
  mayActFor,
  parseCrn,
} from '@keyward/contracts';
import type { Principal } from './principal';

export type AuthzSubject = AuthzCheckRequest['subject'];

/**
 * Looks an instance up by guid in IAM's registry (rpc.iam.instance.get.v1 in apps, the repository in
 * IAM). It may answer a removed instance's tombstone (`state: "removed"`); unknown is undefined.
 */
export type InstanceLookup = (guid: string) => Promise<ServiceInstance | undefined>;

/** A source CRN whose instance IAM keeps only as a tombstone: it was deleted. */
export interface RemovedSource {
  /** The X-Keyward-Source-CRN as the caller sent it. */
  crn: string;
  guid: string;
  /** The CRN's service (the service that owned the instance). */
  service: string;
  accountId: string;
}

/** The decision subject, and whether the source instance was removed (then no decision may be asked for it). */
export interface ResolvedSource {
  subject: AuthzSubject;
  removedSource?: RemovedSource;
}

/**
 * The subject an authorization decision is asked for (DESIGN.md "Identities and service-to-service
 * calls"). Without `X-Keyward-Source-CRN` it is the caller itself. With it, the caller must be a
 * service whose name is the CRN's service or one of its declared dependents; an instance CRN must
 * name an instance IAM knows; a resource CRN inside a service (no instance) is taken as asserted.
 */
export async function resolveAuthzSubject(
  principal: Principal,
  sourceCrn: string | undefined,
  lookupInstance: InstanceLookup,
): Promise<AuthzSubject> {
  const resolved = await resolveSource(principal, sourceCrn, lookupInstance);
  if (resolved.removedSource) throw removedRefusal();
  return resolved.subject;
}

/** The refusal of a call whose source instance was removed (deny by default). */
export function removedRefusal(): DomainError {
  return new DomainError('UNAUTHORIZED_ERR', 'The source CRN names a service instance that was removed');
}

/**
 * As resolveAuthzSubject, but a removed source instance is reported (`removedSource`) instead of
 * refused, for the guard to let only a route's explicit rule accept it (AllowRemovedSource).
 */
export async function resolveSource(principal: Principal, sourceCrn: string | undefined, lookupInstance: InstanceLookup): Promise<ResolvedSource> {
  if (sourceCrn === undefined || sourceCrn === '') {
    return { subject: { iam_id: principal.iamId, accountId: principal.accountId, ...(principal.serviceName ? { serviceName: principal.serviceName } : {}) } };
  }
  if (!principal.serviceName) {
    throw new DomainError('SOURCE_CRN_MISMATCH_ERR', 'Only a service token may send X-Keyward-Source-CRN');
  }
  const crn = parseCrn(sourceCrn);
  if (!crn) throw new DomainError('INVALID_HEADER_ERR', 'X-Keyward-Source-CRN is not a valid CRN', { target: { type: 'header', name: 'x-keyward-source-crn' } });
  if (!mayActFor(principal.serviceName, crn.service)) {
    throw new DomainError('SOURCE_CRN_MISMATCH_ERR', `A ${principal.serviceName} token may not act for ${crn.service} resources`);
  }
  if (!crn.serviceInstance) {
    return { subject: { iam_id: principal.iamId, serviceName: principal.serviceName, accountId: crn.accountId } };
  }
  const instance = await lookupInstance(crn.serviceInstance);
  if (!instance || instance.account_id !== crn.accountId || instance.service !== crn.service || instance.guid !== crn.serviceInstance) {
    throw new DomainError('UNAUTHORIZED_ERR', 'The source CRN names no service instance IAM knows');
  }
  const subject: AuthzSubject = {
    iam_id: principal.iamId,
    serviceName: principal.serviceName,
    serviceInstance: instance.guid,
    accountId: instance.account_id,
    resourceGroupId: instance.resource_group_id,
  };
  if (instance.state !== INSTANCE_STATE.removed) return { subject };
  return { subject, removedSource: { crn: sourceCrn, guid: instance.guid, service: instance.service, accountId: instance.account_id } };
}
