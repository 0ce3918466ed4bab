import { decodeJwt } from 'jose';
import { z } from 'zod';
import { accessTokenClaimsSchema } from '@keyward/contracts';
import { CliError, EXIT } from '../cli-error';
import type { HttpClient } from '../http/http-client';

const APIKEY_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';

const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().optional(),
  expiration: z.number().optional(),
  expires_in: z.number().optional(),
});

export interface Tokens {
  accessToken: string;
  refreshToken?: string;
  /** Seconds since the epoch. */
  expiration: number;
}

export interface TokenOwner {
  iamId: string;
  name: string;
  accountId: string;
  type: string;
}

async function grant(http: HttpClient, iamUrl: string, form: Record<string, string>, nowMs: number): Promise<Tokens> {
  const answer = await http.send('iam', iamUrl, { method: 'POST', path: '/identity/token', form });
  const parsed = tokenAnswerSchema.safeParse(answer.body);
  if (!parsed.success) throw new CliError(EXIT.unavailable, `IAM answered the token request with an unexpected body (request id ${answer.requestId})`);
  const expiration = parsed.data.expiration ?? Math.floor(nowMs / 1000) + (parsed.data.expires_in ?? 0);
  return { accessToken: parsed.data.access_token, ...(parsed.data.refresh_token ? { refreshToken: parsed.data.refresh_token } : {}), expiration };
}

/** IAM's API-key grant. A refused key surfaces as ServiceRequestError (400 BXNIM0415E). */
export function tokensFromApiKey(http: HttpClient, iamUrl: string, apiKey: string, nowMs: number): Promise<Tokens> {
  return grant(http, iamUrl, { grant_type: APIKEY_GRANT, apikey: apiKey }, nowMs);
}

/** IAM's refresh-token grant: each refresh token works once and the answer carries the next one. */
export function tokensFromRefreshToken(http: HttpClient, iamUrl: string, refreshToken: string, nowMs: number): Promise<Tokens> {
  return grant(http, iamUrl, { grant_type: 'refresh_token', refresh_token: refreshToken }, nowMs);
}

/**
 * Who a token belongs to, read from its claims. The CLI does not verify the signature: it only
 * uses the claims to fill in the account id and iam_id; every service verifies the token itself.
 */
export function tokenOwner(accessToken: string): TokenOwner {
  let claims: unknown;
  try {
    claims = decodeJwt(accessToken);
  } catch {
    claims = undefined;
  }
  const parsed = accessTokenClaimsSchema.safeParse(claims);
  if (!parsed.success) throw new CliError(EXIT.unavailable, 'IAM issued a token the CLI cannot read');
  return { iamId: parsed.data.iam_id, name: parsed.data.sub, accountId: parsed.data.account.bss, type: parsed.data.sub_type };
}
