// Applies every app's committed migrations to its database (`prisma migrate deploy`, in parallel),
// creating the database first when it is missing. Database URLs: DATABASE_URL_<APP> if set, else
// keyward_<app> on the server of KEYWARD_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { appsWithSchema, root } from './apps-with-schema.mjs';

export function databaseUrlFor(app, env = process.env) {
  const own = env[`DATABASE_URL_${app.toUpperCase().replace(/-/g, '_')}`];
  if (own) return own;
  const url = new URL(env.KEYWARD_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/keyward_${app.replace(/-/g, '_')}`;
  return url.toString();
}

async function ensureDatabase(databaseUrl) {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!found.rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

function migrate(app, databaseUrl) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy', '--config', 'prisma.config.ts'], {
      cwd: join(root, 'apps', app),
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`migrations failed for ${app}:\n${output}`))));
  });
}

export async function migrateAll(env = process.env) {
  const apps = appsWithSchema();
  await Promise.all(
    apps.map(async (app) => {
      const url = databaseUrlFor(app, env);
      await ensureDatabase(url);
      await migrate(app, url);
    }),
  );
  return apps;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  migrateAll().then(
    (apps) => console.log(`Migrations applied: ${apps.join(', ')}`),
    (error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
