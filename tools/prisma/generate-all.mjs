// Generates every app's Prisma client (run by `npm install`/`npm ci` as postinstall).
// Runs the CLI once per schema, in parallel: the Rust-free client needs no engine download.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { appsWithSchema, root } from './apps-with-schema.mjs';

const prismaBin = join(root, 'node_modules', '.bin', 'prisma');

function generate(app) {
  return new Promise((resolve, reject) => {
    const child = spawn(prismaBin, ['generate', '--config', 'prisma.config.ts'], {
      cwd: join(root, 'apps', app),
      stdio: ['ignore', 'pipe', 'pipe'],
      // generate never connects, but without a DATABASE_URL the CLI cannot read the schema's
      // engineType and falls back to downloading a native query engine, which fails here.
      env: {
        DATABASE_URL: 'postgresql://placeholder@127.0.0.1:5432/placeholder',
        ...process.env,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
      },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(app) : reject(new Error(`prisma generate failed for ${app}:\n${output}`)),
    );
  });
}

import { existsSync } from 'node:fs';

if (!existsSync(prismaBin)) {
  // e.g. `npm install --package-lock-only`: nothing is installed, so there is nothing to generate with.
  console.log('Prisma CLI not installed: skipping client generation.');
  process.exit(0);
}
const apps = appsWithSchema();
try {
  await Promise.all(apps.map(generate));
  if (apps.length) console.log(`Prisma clients generated: ${apps.join(', ')}`);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
