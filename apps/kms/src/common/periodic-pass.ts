import type { Logger } from 'pino';

/**
 * A scheduler's timing: a pass every `intervalMs` (the timer never keeps the process alive), at most
 * one pass at a time (a call while one runs joins it), a failed pass logged and left to the next, and
 * stop() waiting for the running pass. What a pass does, and its one-replica lock, is the scheduler's.
 */
export class PeriodicPass<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<T>;

  constructor(
    private readonly what: string,
    private readonly pass: () => Promise<T>,
    /** What a failed pass answers. */
    private readonly onFailure: T,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass now (tests call it after moving the clock). */
  runOnce(): Promise<T> {
    this.running ??= this.pass()
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, `${this.what} pass failed; the next one retries`);
        return this.onFailure;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
