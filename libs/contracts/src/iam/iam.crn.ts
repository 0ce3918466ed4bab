import { CRN_CLOUD_NAMES, EMITTED_CLOUD_NAME } from './iam.roles';

/** Regions (DESIGN.md "Services, instances, regions"). */
export const REGIONS = ['us-south', 'us-east', 'eu-de', 'eu-gb'] as const;
export type Region = (typeof REGIONS)[number];

/** IBM account ids and Keyward's resource-group ids: 32 lower-case hex characters. */
export const ACCOUNT_ID_PATTERN = /^[a-f0-9]{32}$/;
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `crn:v1:<cloud>:public:<service>:<location>:a/<account>:<instance>:<resourceType>:<resource>` */
export interface Crn {
  cloud: string;
  service: string;
  location: string;
  accountId: string;
  serviceInstance: string;
  resourceType: string;
  resource: string;
}

export function formatCrn(crn: Omit<Crn, 'cloud'>): string {
  return `crn:v1:${EMITTED_CLOUD_NAME}:public:${crn.service}:${crn.location}:a/${crn.accountId}:${crn.serviceInstance}:${crn.resourceType}:${crn.resource}`;
}

export function instanceCrn(service: string, region: string, accountId: string, guid: string): string {
  return formatCrn({ service, location: region, accountId, serviceInstance: guid, resourceType: '', resource: '' });
}

/** Parses a CRN, accepting `keyward` and `bluemix` as the cloud name; undefined when malformed. */
export function parseCrn(value: string): Crn | undefined {
  if (value.length > 512) return undefined;
  const parts = value.split(':');
  if (parts.length !== 10 || parts[0] !== 'crn' || parts[1] !== 'v1' || parts[3] !== 'public') return undefined;
  const [, , cloud, , service, location, scope, serviceInstance, resourceType, resource] = parts as [string, string, string, string, string, string, string, string, string, string];
  if (!(CRN_CLOUD_NAMES as readonly string[]).includes(cloud)) return undefined;
  if (!/^[a-z][a-z0-9-]*$/.test(service)) return undefined;
  const account = /^a\/([a-f0-9]{32})$/.exec(scope);
  if (!account) return undefined;
  if (!/^[A-Za-z0-9._-]*$/.test(location + serviceInstance + resourceType + resource)) return undefined;
  return { cloud, service, location, accountId: account[1] as string, serviceInstance, resourceType, resource };
}
