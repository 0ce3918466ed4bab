import { startE2eStack } from '@keyward/testing';
import { E2E_APPS } from './e2e-apps';

export default async function globalSetup(): Promise<void> {
  await startE2eStack(E2E_APPS);
}
