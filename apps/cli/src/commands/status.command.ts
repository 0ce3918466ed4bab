import { type HealthReport, type KeywardAppName, healthReportSchema } from '@keyward/contracts';
import type { CliContext } from '../cli-context';
import { STACK_SERVICES, serviceUrl } from '../service-urls';

export interface ServiceStatus {
  service: KeywardAppName;
  url: string;
  /** The service's own verdict, or `unreachable` when it did not answer /health. */
  status: HealthReport['status'] | 'unreachable';
  /** Dependencies that are not ok, with what the service says about them. */
  problems: string[];
}

async function statusOf(service: KeywardAppName, context: CliContext): Promise<ServiceStatus> {
  const url = serviceUrl(service, context.env);
  try {
    const response = await context.fetch(new URL('/health', url), { signal: AbortSignal.timeout(context.timeoutMs) });
    const parsed = healthReportSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) return { service, url, status: 'unreachable', problems: [`/health answered ${response.status} without a health report`] };
    const problems = Object.entries(parsed.data.checks)
      .filter(([, check]) => check.status !== 'ok')
      .map(([name, check]) => (check.detail ? `${name}: ${check.detail}` : `${name}: ${check.status}`));
    return { service, url, status: parsed.data.status, problems };
  } catch (error) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { service, url, status: 'unreachable', problems: [`no answer (${reason})`] };
  }
}

/** `keyward status`: every service's /health, side by side. Exit code 0 only when all are ok. */
export async function statusCommand(context: CliContext, options: { json?: boolean }): Promise<number> {
  const statuses = await Promise.all(STACK_SERVICES.map((service) => statusOf(service, context)));
  if (options.json) {
    context.out(JSON.stringify(statuses, null, 2));
  } else {
    const width = Math.max(...statuses.map((s) => s.service.length));
    const urlWidth = Math.max(...statuses.map((s) => s.url.length));
    for (const s of statuses) {
      context.out(`${s.service.padEnd(width)}  ${s.status.padEnd(11)}  ${s.url.padEnd(urlWidth)}  ${s.problems.join('; ')}`.trimEnd());
    }
  }
  return statuses.every((s) => s.status === 'ok') ? 0 : 1;
}
