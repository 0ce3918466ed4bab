#!/usr/bin/env node
// The `keyward` command. Runs the built bundle (dist/apps/cli, made by `npm start` or
// `npx nx build cli`); in a checkout without a build it runs the TypeScript sources directly.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', '..', '..', 'dist', 'apps', 'cli', 'main.js');
if (existsSync(built)) {
  require(built);
} else {
  require('@swc-node/register');
  require('../src/main.ts');
}
