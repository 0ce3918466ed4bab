import type { BenchResults } from './results';

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** The targets of issue 13 on our 2-core machine (software HSM backend), checked against one run. */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const http = results.ceilings.httpHelloOpsPerSec;
  for (const op of ['wrap', 'unwrap'] as const) {
    const many = results.realPath[op].at64;
    checks.push({ target: `${op} at 64 connections ≥ 5,000 ops/s`, measured: `${Math.round(many.opsPerSec)} ops/s`, met: many.opsPerSec >= 5000 });
    checks.push({ target: `${op} at 64 ≥ 20 % of the HTTP ceiling`, measured: `${pct(many.opsPerSec / http)}`, met: many.opsPerSec >= 0.2 * http });
    checks.push({ target: `${op} at 64: zero errors`, measured: `${many.errors} errors`, met: many.errors === 0 });
    checks.push({ target: `${op} at 64: p99 ≤ 20 ms`, measured: `${many.latencyMs.p99} ms`, met: many.latencyMs.p99 <= 20 });
    const one = results.realPath[op].at1;
    checks.push({ target: `${op} at 1 connection: p50 ≤ 1.5 ms`, measured: `${one.latencyMs.p50} ms`, met: one.latencyMs.p50 <= 1.5 });
  }
  for (const op of ['wrap', 'unwrap'] as const) {
    const batch = results.batch[op];
    checks.push({
      target: `batch ${op} ≥ 35 % of the AES-GCM ceiling`,
      measured: `${Math.round(batch.deksPerSec)} DEKs/s = ${pct(batch.deksPerSec / results.ceilings.aesGcmOpsPerSec)}`,
      met: batch.deksPerSec >= 0.35 * results.ceilings.aesGcmOpsPerSec && batch.errors === 0,
    });
  }
  for (const [service, stats] of Object.entries(results.processes)) {
    checks.push({ target: `${service} ≤ 250 MB RSS`, measured: `${stats.peakRssMb} MB`, met: stats.peakRssMb <= 250 });
  }
  return checks;
}

const pct = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;
