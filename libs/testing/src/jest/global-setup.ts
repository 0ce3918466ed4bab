import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../services/repo-root';
import { resolveTestServices } from '../services/resolve-test-services';
import { prepareTemplate } from '../services/template-databases';
import { hasTestEnvironment, publishTestEnvironment } from '../services/test-environment';

type GlobalWithServices = typeof globalThis & { __keywardStopTestServices?: () => Promise<void> };

/**
 * Runs once before any suite (jest calls it once per project; later calls find the work done):
 * finds Postgres and NATS, and builds each app's template database from its committed migrations.
 */
export default async function globalSetup(): Promise<void> {
  if (hasTestEnvironment()) return;
  const services = await resolveTestServices();
  (globalThis as GlobalWithServices).__keywardStopTestServices = services.stop;
  const root = repoRoot();
  const templates: Record<string, string> = {};
  const apps = readdirSync(join(root, 'apps'));
  await Promise.all(
    apps.map(async (app) => {
      const template = await prepareTemplate(services.postgresUrl, root, app);
      if (template) templates[app] = template;
    }),
  );
  publishTestEnvironment({ postgresUrl: services.postgresUrl, natsUrl: services.natsUrl, templates });
}
