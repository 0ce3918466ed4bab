import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { CliError, EXIT } from '../cli-error';

/** What `keyward login` keeps between commands. Secrets (API key, tokens) live only in this file. */
export const sessionSchema = z.object({
  version: z.literal(1),
  /** IAM's URL, as given to `login --endpoint`. */
  iamUrl: z.string(),
  /** Keyward app name → URL, from IAM's `GET /v1/endpoints` at login. */
  endpoints: z.record(z.string(), z.string()),
  /** Kept so the session outlives its refresh token (and a refresh lost to a concurrent command). */
  apiKey: z.string().optional(),
  accessToken: z.string(),
  refreshToken: z.string().optional(),
  /** Access-token expiry, seconds since the epoch. */
  expiration: z.number(),
  user: z.object({ iamId: z.string(), name: z.string(), accountId: z.string(), type: z.string() }),
  target: z
    .object({
      region: z.string().optional(),
      resourceGroup: z.object({ id: z.string(), name: z.string() }).optional(),
    })
    .default({}),
});
export type StoredSession = z.infer<typeof sessionSchema>;

const FILE = 'session.json';

/**
 * The session file in the user's config directory: the directory 0700, the file 0600, written to a
 * temporary file and renamed so a crash or a concurrent command never leaves half a file.
 */
export class SessionStore {
  constructor(readonly dir: string) {}

  get path(): string {
    return join(this.dir, FILE);
  }

  read(): StoredSession | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CliError(EXIT.failed, `Cannot read ${this.path}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = sessionSchema.safeParse(json);
    // Never echo the file: it holds secrets. Say where it is and how to start over.
    if (!parsed.success) throw new CliError(EXIT.auth, `The session file ${this.path} is damaged`, 'Run `keyward logout`, then `keyward login`');
    return parsed.data;
  }

  write(session: StoredSession): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // mkdir's mode applies only to directories it creates; tighten an existing one we own too.
    if ((statSync(this.dir).mode & 0o077) !== 0) chmodSync(this.dir, 0o700);
    const temporary = join(this.dir, `.${FILE}.${randomBytes(6).toString('hex')}.tmp`);
    writeFileSync(temporary, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, this.path);
  }

  /** Removes the session; true when there was one. */
  clear(): boolean {
    const existed = this.exists();
    rmSync(this.path, { force: true });
    return existed;
  }

  private exists(): boolean {
    try {
      statSync(this.path);
      return true;
    } catch {
      return false;
    }
  }
}
