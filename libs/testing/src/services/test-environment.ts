/**
 * What the jest global setup found and prepared, handed to the test workers through environment
 * variables (workers are started after global setup and inherit them).
 */
export interface TestEnvironment {
  postgresUrl: string;
  natsUrl: string;
  /** App name → template database name. */
  templates: Record<string, string>;
}

const ENV_KEY = 'KEYWARD_TEST_ENVIRONMENT';

export function publishTestEnvironment(environment: TestEnvironment): void {
  process.env[ENV_KEY] = JSON.stringify(environment);
}

export function readTestEnvironment(): TestEnvironment {
  const raw = process.env[ENV_KEY];
  if (!raw) {
    throw new Error(`${ENV_KEY} is not set: run the tests through jest with the preset's globalSetup (npm test)`);
  }
  return JSON.parse(raw) as TestEnvironment;
}

export function hasTestEnvironment(): boolean {
  return Boolean(process.env[ENV_KEY]);
}
