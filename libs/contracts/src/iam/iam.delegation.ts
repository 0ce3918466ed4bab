import type { ServiceName } from '../common/services';

/**
 * Authorization delegation: each service's dependent services. An authorization policy created with
 * delegation for a source service also grants its dependents the same access (and is deleted with it);
 * a dependent's token may act for its parent's resource CRNs (DESIGN.md "Identities").
 */
export const DEPENDENT_SERVICES: Partial<Record<ServiceName, readonly ServiceName[]>> = {
  'hyperp-dbaas-postgresql': ['hyperp-dbaas-backup'],
};

export function dependentsOf(service: string): readonly ServiceName[] {
  return DEPENDENT_SERVICES[service as ServiceName] ?? [];
}

/** Whether `actor` may act for resources of `owner`: itself, or a declared dependent of it. */
export function mayActFor(actor: string, owner: string): boolean {
  return actor === owner || dependentsOf(owner).includes(actor as ServiceName);
}
