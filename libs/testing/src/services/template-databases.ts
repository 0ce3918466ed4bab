import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/** A Postgres URL for another database on the same server. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(serverUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function migrationFiles(root: string, app: string): { name: string; sql: string }[] {
  const dir = join(root, 'apps', app, 'prisma', 'migrations');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name, 'migration.sql'), 'utf8') }));
}

/**
 * One template database per app and migration set, named by a hash of its committed migrations: it
 * is built once (the migration.sql files applied in order, no Prisma CLI) and reused by later runs
 * until a migration changes. Suites then copy it with CREATE DATABASE … TEMPLATE, in milliseconds.
 */
export async function prepareTemplate(serverUrl: string, root: string, app: string): Promise<string | undefined> {
  const migrations = migrationFiles(root, app);
  if (migrations.length === 0) return undefined;
  const hash = createHash('sha256');
  for (const { name, sql } of migrations) hash.update(name).update('\0').update(sql).update('\0');
  const template = `kwtpl_${app.replace(/-/g, '_')}_${hash.digest('hex').slice(0, 12)}`;

  return withAdminClient(serverUrl, async (admin) => {
    const existing = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (existing.rowCount) return template;
    // Build under a temporary name and rename when complete, so no run ever copies a half-built template.
    const building = `${template}_b${process.pid}`;
    await admin.query(`DROP DATABASE IF EXISTS "${building}"`);
    await admin.query(`CREATE DATABASE "${building}"`);
    const client = new Client({ connectionString: databaseUrl(serverUrl, building) });
    await client.connect();
    try {
      for (const { sql } of migrations) await client.query(sql);
    } finally {
      await client.end();
    }
    try {
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    } catch (error) {
      // Another run built the same template meanwhile: use theirs.
      await admin.query(`DROP DATABASE IF EXISTS "${building}"`);
      const raced = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (!raced.rowCount) throw error;
    }
    return template;
  });
}
