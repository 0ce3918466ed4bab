import { z } from 'zod';
import { ADMIN_APIKEY_ENV, KEYWARD_APPS, type KeywardAppName, SERVICE_NAMES, appUrlEnvName, serviceApiKeyEnvName } from '@keyward/contracts';
import { ConfigError, type Env, envFields, loadServiceConfig } from '@keyward/platform';

const SERVICE_KEY_FIELDS = Object.fromEntries(SERVICE_NAMES.map((name) => [serviceApiKeyEnvName(name), envFields.secret(20).optional()]));
const APP_URL_FIELDS = Object.fromEntries(
  (Object.keys(KEYWARD_APPS) as KeywardAppName[]).map((app) => [appUrlEnvName(app), envFields.url(['http', 'https']).optional()]),
);

/**
 * IAM's environment: the common variables, the bootstrap admin's API key, each service's API key
 * (optional: a service without one has a service ID but cannot get a token), token lifetimes and
 * the other apps' URLs for `/v1/endpoints`.
 */
export function loadIamConfig(env: Env) {
  const { service, own } = loadServiceConfig('iam', env, {
    [ADMIN_APIKEY_ENV]: envFields.secret(20),
    ...SERVICE_KEY_FIELDS,
    ...APP_URL_FIELDS,
    KEYWARD_IAM_TOKEN_TTL_SEC: envFields.positiveInt(3600),
    KEYWARD_IAM_REFRESH_TOKEN_TTL_SEC: envFields.positiveInt(30 * 24 * 3600),
    KEYWARD_IAM_SIGNING_KEY_ROTATION_MS: envFields.positiveInt(24 * 3600 * 1000),
    KEYWARD_IAM_SIGNING_KEY_PREPUBLISH_MS: envFields.positiveInt(60_000),
    KEYWARD_IAM_AUDIT_FLUSH_MS: envFields.positiveInt(200),
  } as Record<string, z.ZodType<unknown, string | undefined>>);
  const values = own as Record<string, unknown>;
  const rotationMs = values['KEYWARD_IAM_SIGNING_KEY_ROTATION_MS'] as number;
  const prePublishMs = values['KEYWARD_IAM_SIGNING_KEY_PREPUBLISH_MS'] as number;
  // The next key is published when the current one starts signing; it must be visible to every
  // verifier (JWKS caches) before it signs, so the period must be longer than the pre-publication.
  if (rotationMs <= prePublishMs) {
    throw new ConfigError('iam', [{ variable: 'KEYWARD_IAM_SIGNING_KEY_ROTATION_MS', problem: `must be longer than KEYWARD_IAM_SIGNING_KEY_PREPUBLISH_MS (${prePublishMs} ms)` }]);
  }
  const serviceApiKeys = Object.fromEntries(
    SERVICE_NAMES.flatMap((name) => {
      const value = values[serviceApiKeyEnvName(name)] as string | undefined;
      return value ? [[name, value] as const] : [];
    }),
  );
  const appUrls = Object.fromEntries(
    (Object.keys(KEYWARD_APPS) as KeywardAppName[]).map((app) => [app, (values[appUrlEnvName(app)] as string | undefined) ?? `http://127.0.0.1:${KEYWARD_APPS[app].port}`]),
  ) as Record<KeywardAppName, string>;
  return {
    service,
    adminApiKey: values[ADMIN_APIKEY_ENV] as string,
    serviceApiKeys,
    appUrls,
    tokenTtlSec: values['KEYWARD_IAM_TOKEN_TTL_SEC'] as number,
    refreshTokenTtlSec: values['KEYWARD_IAM_REFRESH_TOKEN_TTL_SEC'] as number,
    signingKeyRotationMs: rotationMs,
    signingKeyPrePublishMs: prePublishMs,
    auditFlushMs: values['KEYWARD_IAM_AUDIT_FLUSH_MS'] as number,
  };
}

export type IamConfig = ReturnType<typeof loadIamConfig>;
export const IAM_CONFIG = Symbol('IAM_CONFIG');
