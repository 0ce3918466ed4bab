import type { ServiceName } from '../common/services';
import type { ServiceInstance } from './iam.payloads';

/**
 * Service-owned key instances (docs/IAM.md "Bootstrap"): IAM's bootstrap gives each consumer that
 * needs a root key of its own (Schematics, DBaaS) one `kms` instance in the default account, and
 * access policies on exactly that instance for the service's own service ID (and its dependents).
 * The consumer finds it through the registry and keeps its default root key there.
 */
export const SERVICE_KEY_INSTANCE_OWNERS = {
  schematics: [{ service: 'schematics', role: 'Manager' }],
  'hyperp-dbaas-postgresql': [
    { service: 'hyperp-dbaas-postgresql', role: 'Manager' },
    // The backup worker wraps backup keys with its own identity (delegation), and only needs to use the key.
    { service: 'hyperp-dbaas-backup', role: 'Reader' },
  ],
} as const satisfies Partial<Record<ServiceName, readonly { service: ServiceName; role: string }[]>>;

export type ServiceKeyInstanceOwner = keyof typeof SERVICE_KEY_INSTANCE_OWNERS;

/**
 * The instance parameter naming the service an instance was created for. Reserved: only IAM's
 * bootstrap sets it (the registry API refuses it), so a consumer can trust it to find its own instance.
 */
export const SERVICE_KEY_OWNER_PARAMETER = 'keyward_owner_service';

/** The region of the service-owned instances (any region's KMS serves them: one KMS serves all regions). */
export const SERVICE_KEY_INSTANCE_REGION = 'us-south';

/** The registry name of `service`'s own instance. */
export function serviceKeyInstanceName(service: string): string {
  return `keyward-${service}-keys`;
}

/** The well-known name of the default root key a consumer keeps in its own instance. */
export const SERVICE_DEFAULT_KEY_NAME = 'keyward-default-root-key';

/** `service`'s own key instance among `instances`: bootstrap's (the reserved parameter), the oldest if ever several. */
export function findServiceKeyInstance(instances: readonly ServiceInstance[], service: string): ServiceInstance | undefined {
  return instances
    .filter((i) => i.service === 'kms' && i.state === 'active' && i.parameters[SERVICE_KEY_OWNER_PARAMETER] === service)
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.guid.localeCompare(b.guid))[0];
}
