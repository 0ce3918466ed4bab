import { Injectable } from '@nestjs/common';
import type { DependencyCheck, HealthReport } from '@keyward/contracts';

export interface HealthCheck {
  /** The key under `checks` in the /health body. */
  name: string;
  /**
   * critical: the app cannot serve anything without it (its database, NATS) → `down` and 503.
   * Otherwise (a peer service) the app is `degraded` and still answers 200.
   */
  critical: boolean;
  check(): Promise<DependencyCheck>;
}

const CHECK_TIMEOUT_MS = 2000;

/** Dependencies register their checks here; /health runs them all in parallel, each bounded in time. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  register(check: HealthCheck): void {
    this.checks.set(check.name, check);
  }

  async report(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks.values()].map(async (check) => [check, await runBounded(check)] as const),
    );
    const downCritical = entries.some(([check, result]) => check.critical && result.status === 'down');
    const downAny = entries.some(([, result]) => result.status === 'down');
    return {
      status: downCritical ? 'down' : downAny ? 'degraded' : 'ok',
      checks: Object.fromEntries(entries.map(([check, result]) => [check.name, result])),
    };
  }
}

async function runBounded(check: HealthCheck): Promise<DependencyCheck> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<DependencyCheck>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'down', detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      check.check().catch((error: unknown) => ({ status: 'down' as const, detail: describe(error) })),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Error text for /health: the message only (never a connection string or a stack). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s]+/gi, '<url>').slice(0, 200);
}
