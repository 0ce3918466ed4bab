import { usageError } from '../../cli-error';

/** Schematics locations and encryption schemes (docs/consumers/schematics.md). */
export const SCHEMATICS_LOCATIONS = ['us', 'eu'] as const;
export const ENCRYPTION_SCHEMES = ['byok', 'kyok'] as const;

export function locationOption(value: string | undefined): string {
  if (value === undefined) throw usageError('--location is required', `Use one of ${SCHEMATICS_LOCATIONS.join(', ')}`);
  const location = value.trim().toLowerCase();
  if (!(SCHEMATICS_LOCATIONS as readonly string[]).includes(location)) throw usageError(`Unknown location "${value}"`, `Use one of ${SCHEMATICS_LOCATIONS.join(', ')}`);
  return location;
}

export function schemeOption(value: string | undefined): string {
  if (value === undefined) throw usageError('--scheme is required', `Use byok (Key Protect) or kyok (Hyper Protect Crypto Services)`);
  const scheme = value.trim().toLowerCase();
  if (!(ENCRYPTION_SCHEMES as readonly string[]).includes(scheme)) throw usageError(`Unknown encryption scheme "${value}"`, 'Use byok (Key Protect) or kyok (Hyper Protect Crypto Services)');
  return scheme;
}

/** `kms instances ls`: GET /v2/settings/kms/instances?location&scheme. */
export function listInstancesRequest(options: { location?: string; scheme?: string }) {
  return { method: 'GET', path: '/v2/settings/kms/instances', query: { location: locationOption(options.location), scheme: schemeOption(options.scheme) } } as const;
}

/** `kms info`: GET /v2/settings/kms?location. */
export function kmsInfoRequest(options: { location?: string }) {
  return { method: 'GET', path: '/v2/settings/kms', query: { location: locationOption(options.location) } } as const;
}

export interface EnableOptions {
  location?: string;
  scheme?: string;
  group?: string;
  primary_name?: string;
  primary_crn?: string;
  primary_endpoint?: string;
  secondary_name?: string;
  secondary_crn?: string;
  secondary_endpoint?: string;
}

/** `kms enable`: PUT /v2/settings/kms with the primary and, when any secondary flag is given, all three secondary flags. */
export function enableKmsRequest(options: EnableOptions) {
  const required = (value: string | undefined, flag: string) => {
    if (value === undefined || value.trim() === '') throw usageError(`${flag} is required`);
    return value.trim();
  };
  const crk = (prefix: 'primary' | 'secondary') => ({
    kms_name: required(options[`${prefix}_name`], `--${prefix}_name`),
    key_crn: required(options[`${prefix}_crn`], `--${prefix}_crn`),
    kms_private_endpoint: required(options[`${prefix}_endpoint`], `--${prefix}_endpoint`),
  });
  const wantsSecondary = options.secondary_name !== undefined || options.secondary_crn !== undefined || options.secondary_endpoint !== undefined;
  return {
    method: 'PUT',
    path: '/v2/settings/kms',
    json: {
      location: locationOption(options.location),
      encryption_scheme: schemeOption(options.scheme),
      resource_group: required(options.group, '--group'),
      primary_crk: crk('primary'),
      ...(wantsSecondary ? { secondary_crk: crk('secondary') } : {}),
    },
  } as const;
}
