import { type AccessTokenClaims, accessTokenClaimsSchema } from '@keyward/contracts';

/** Who made a request, as IAM's verified access token says. Never holds the token itself. */
export interface Principal {
  iamId: string;
  sub: string;
  subType: 'user' | 'ServiceId';
  accountId: string;
  /** Set for a Keyward service's own identity (`kms`, `apprapp`, …). */
  serviceName?: string;
}

export function principalFromClaims(claims: unknown): Principal | undefined {
  const parsed = accessTokenClaimsSchema.safeParse(claims);
  if (!parsed.success) return undefined;
  const c: AccessTokenClaims = parsed.data;
  return {
    iamId: c.iam_id,
    sub: c.sub,
    subType: c.sub_type,
    accountId: c.account.bss,
    ...(c.service_name ? { serviceName: c.service_name } : {}),
  };
}

/** `Authorization: Bearer <jwt>` → the token, or undefined when absent or of another scheme. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(value);
  return match ? match[1] : undefined;
}
