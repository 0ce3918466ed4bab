import type { Config } from 'jest';
import { getJestProjectsAsync } from '@nx/jest';

// One jest run over every project, so `npm test` shares two workers across all suites.
export default async (): Promise<Config> => ({
  projects: await getJestProjectsAsync(),
  // Global options (not per project): integration suites start apps against real services.
  testTimeout: 30_000,
});
