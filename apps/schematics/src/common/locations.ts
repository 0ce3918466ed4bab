import { DomainError } from '@keyward/contracts';

/** Schematics locations and the regions each covers (DESIGN.md "Services, instances, regions"). */
export const LOCATION_REGIONS = { us: ['us-south', 'us-east'], eu: ['eu-de', 'eu-gb'] } as const;
export type Location = keyof typeof LOCATION_REGIONS;

/** BYOK is Key Protect (`kms`), KYOK Hyper Protect Crypto Services (`hs-crypto`). */
export const SCHEME_SERVICES = { byok: 'kms', kyok: 'hs-crypto' } as const;
export type Scheme = keyof typeof SCHEME_SERVICES;

export function isLocation(value: unknown): value is Location {
  return typeof value === 'string' && Object.hasOwn(LOCATION_REGIONS, value);
}

export function isScheme(value: unknown): value is Scheme {
  return typeof value === 'string' && Object.hasOwn(SCHEME_SERVICES, value);
}

/** A `location` query parameter: `us` or `eu`, else 400 naming the parameter. */
export function requireLocation(value: unknown): Location {
  if (isLocation(value)) return value;
  throw new DomainError('INVALID_QUERY_PARAM_ERR', 'location: must be one of us, eu', { target: { type: 'query', name: 'location' } });
}

export function requireScheme(value: unknown): Scheme {
  if (isScheme(value)) return value;
  throw new DomainError('INVALID_QUERY_PARAM_ERR', 'scheme: must be one of byok, kyok', { target: { type: 'query', name: 'scheme' } });
}

/** The region a workspace's CRN names: the location's first region. */
export function primaryRegion(location: Location): string {
  return LOCATION_REGIONS[location][0];
}

/** `crn:v1:keyward:public:schematics:<region>:a/<account>::workspace:<id>` (DESIGN.md). */
export function workspaceCrn(location: Location, accountId: string, id: string): string {
  return `crn:v1:keyward:public:schematics:${primaryRegion(location)}:a/${accountId}::workspace:${id}`;
}

/** The CRN Schematics acts for when it checks a KMS setting's keys (no workspace exists yet). */
export function kmsSettingCrn(location: Location, accountId: string): string {
  return `crn:v1:keyward:public:schematics:${primaryRegion(location)}:a/${accountId}::kms-setting:${location}`;
}
