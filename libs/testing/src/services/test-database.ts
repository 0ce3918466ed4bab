import { randomBytes } from 'node:crypto';
import { databaseUrl, withAdminClient } from './template-databases';
import { readTestEnvironment } from './test-environment';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database for one suite, copied from the app's migrated template. */
export async function createTestDatabase(app: string): Promise<TestDatabase> {
  const { postgresUrl, templates } = readTestEnvironment();
  const template = templates[app];
  if (!template) throw new Error(`no template database for ${app}: does apps/${app}/prisma/migrations exist?`);
  const name = `kwtest_${app.replace(/-/g, '_')}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(postgresUrl, async (admin) => {
    // Copying needs the template free of sessions; two suites copying at once can collide briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + attempt * 25));
      }
    }
  });
  return {
    name,
    url: databaseUrl(postgresUrl, name),
    drop: () => withAdminClient(postgresUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
