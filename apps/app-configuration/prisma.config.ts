import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { migrationAdapter } from '../../tools/prisma/migration-adapter';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  adapter: async () => migrationAdapter(),
});
