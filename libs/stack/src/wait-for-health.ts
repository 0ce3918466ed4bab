import type { HealthReport } from '@keyward/contracts';

/**
 * Polls `<url>/health` until it answers `ok` (or `degraded`, when allowed), or the deadline passes.
 * Returns the last report; throws with the last answer seen when the service never became ready.
 */
export async function waitForHealth(
  url: string,
  { timeoutMs = 30_000, acceptDegraded = false, isAlive = () => true }: { timeoutMs?: number; acceptDegraded?: boolean; isAlive?: () => boolean } = {},
): Promise<HealthReport> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`${url} exited before it became healthy (last: ${last})`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      const report = (await response.json()) as HealthReport;
      if (report.status === 'ok' || (acceptDegraded && report.status === 'degraded')) return report;
      last = JSON.stringify(report);
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${url} did not become healthy within ${timeoutMs} ms (last: ${last})`);
}
