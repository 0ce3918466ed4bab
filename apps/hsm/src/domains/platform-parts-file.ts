import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '@keyward/platform';

/**
 * The development parts file (KEYWARD_HSM_PLATFORM_PARTS_FILE): enough parts of the platform master
 * key to rebuild it, so a single machine starts with a usable platform domain. A development
 * convenience only: anyone who can read the file holds the platform master key.
 */
const partsFileSchema = z.object({
  domainId: z.literal('platform'),
  threshold: z.number().int().min(1).max(16),
  parts: z.array(z.string().regex(/^[A-Za-z0-9+/]+=*$/)).min(1).max(16),
});

export interface PlatformParts {
  threshold: number;
  parts: Buffer[];
}

export function readPlatformPartsFile(path: string): PlatformParts {
  let parsed: z.infer<typeof partsFileSchema>;
  try {
    parsed = partsFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    // The message names the file and the problem, never its content.
    const problem = (error as NodeJS.ErrnoException).code ?? (error instanceof SyntaxError ? 'not JSON' : 'not a platform parts file');
    throw new ConfigError('hsm', [{ variable: 'KEYWARD_HSM_PLATFORM_PARTS_FILE', problem: `${path}: ${problem}` }]);
  }
  if (parsed.parts.length < parsed.threshold) {
    throw new ConfigError('hsm', [{ variable: 'KEYWARD_HSM_PLATFORM_PARTS_FILE', problem: `${path}: fewer parts than the threshold` }]);
  }
  return { threshold: parsed.threshold, parts: parsed.parts.map((part) => Buffer.from(part, 'base64')) };
}
