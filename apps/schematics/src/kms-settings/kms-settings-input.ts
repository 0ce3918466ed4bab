import { z } from 'zod';
import { DomainError } from '@keyward/contracts';
import { parseKeyCrn } from '@keyward/kms-client';
import { parsePayload } from '@keyward/platform';
import { LOCATION_REGIONS, type Location, SCHEME_SERVICES, type Scheme } from '../common/locations';
import type { KmsEndpointSetting } from './kms-settings.repository';

const crk = z.object({
  kms_name: z.string().trim().min(1).max(256),
  key_crn: z.string().trim().min(1).max(1024),
  kms_private_endpoint: z.url({ protocol: /^https?$/ }),
});

/** `PUT /v2/settings/kms` (the Schematics API's KMS settings body). */
export const kmsSettingsBody = z.object({
  location: z.enum(['us', 'eu']),
  encryption_scheme: z.enum(['byok', 'kyok']),
  resource_group: z.string().trim().min(1).max(256),
  primary_crk: crk,
  secondary_crk: crk.optional(),
});

export interface KmsSettingsInput {
  location: Location;
  scheme: Scheme;
  resourceGroupId: string;
  primary: KmsEndpointSetting;
  secondary: KmsEndpointSetting | null;
}

/** Parses and checks the body: each CRN a root key of the scheme's service in the location, primary ≠ secondary. */
export function parseKmsSettings(body: unknown): KmsSettingsInput {
  const input = parsePayload(kmsSettingsBody, body);
  const primary = checkKey('primary_crk', input.primary_crk, input.location, input.encryption_scheme);
  const secondary = input.secondary_crk ? checkKey('secondary_crk', input.secondary_crk, input.location, input.encryption_scheme) : null;
  if (secondary && parseKeyCrn(secondary.keyCrn)?.keyId === parseKeyCrn(primary.keyCrn)?.keyId) {
    throw invalid('secondary_crk.key_crn', 'secondary_crk.key_crn: the secondary root key must be another key than the primary');
  }
  return { location: input.location, scheme: input.encryption_scheme, resourceGroupId: input.resource_group, primary, secondary };
}

function checkKey(field: string, value: z.infer<typeof crk>, location: Location, scheme: Scheme): KmsEndpointSetting {
  const key = parseKeyCrn(value.key_crn);
  if (!key) throw invalid(`${field}.key_crn`, `${field}.key_crn: is not the CRN of a root key (crn:v1:…:kms|hs-crypto:<region>:a/<account>:<instance>:key:<id>)`);
  const service = SCHEME_SERVICES[scheme];
  if (key.serviceName !== service) {
    throw invalid(`${field}.key_crn`, `${field}.key_crn: encryption_scheme ${scheme} needs a ${service === 'kms' ? 'Key Protect (kms)' : 'Hyper Protect Crypto Services (hs-crypto)'} key`);
  }
  if (!(LOCATION_REGIONS[location] as readonly string[]).includes(key.region)) {
    throw invalid(`${field}.key_crn`, `${field}.key_crn: the key is in region ${key.region}, outside location ${location} (${LOCATION_REGIONS[location].join(', ')})`);
  }
  return { name: value.kms_name, keyCrn: value.key_crn, endpoint: value.kms_private_endpoint.replace(/\/+$/, '') };
}

function invalid(field: string, message: string): DomainError {
  return new DomainError('INVALID_FIELD_ERR', message, { target: { type: 'field', name: field } });
}
