import { stopE2eStack, stopTestServices } from '@keyward/testing';

export default async function teardown(): Promise<void> {
  await stopE2eStack();
  await stopTestServices();
}
