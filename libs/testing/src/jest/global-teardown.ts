type GlobalWithServices = typeof globalThis & { __keywardStopTestServices?: () => Promise<void> };

/** Stops the containers the global setup started, if it started any. */
export default async function globalTeardown(): Promise<void> {
  const global = globalThis as GlobalWithServices;
  const stop = global.__keywardStopTestServices;
  global.__keywardStopTestServices = undefined;
  if (stop) await stop();
}
