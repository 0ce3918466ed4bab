import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys and refresh tokens are 256-bit random strings, so a plain SHA-256 is enough to store them:
 * no dictionary or brute force reaches a 2^256 space, and a fast hash lets IAM look a key up by its
 * hash on every token request. (A slow hash such as argon2 only helps low-entropy secrets like
 * passwords.) Bootstrap keys come from the environment and must be at least 20 characters.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function newApiKey(): string {
  return `kw_${randomBytes(32).toString('base64url')}`;
}

export function newRefreshToken(): string {
  return `kwr_${randomBytes(32).toString('base64url')}`;
}

/** 32 lower-case hex characters: account and resource-group ids, as IBM's. */
export function newHexId(): string {
  return randomBytes(16).toString('hex');
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
