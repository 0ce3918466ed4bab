// The apps that own a Postgres database: every apps/<name>/prisma/schema.prisma.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname;

export function appsWithSchema() {
  const appsDir = join(root, 'apps');
  if (!existsSync(appsDir)) return [];
  return readdirSync(appsDir)
    .filter((app) => existsSync(join(appsDir, app, 'prisma', 'schema.prisma')))
    .sort();
}
