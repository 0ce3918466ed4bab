import type { BenchResults } from './results';
import type { TargetCheck } from './targets';

const n = (value: number) => Math.round(value).toLocaleString('en-US');

/** The Markdown table of one run: ceilings, the real path with its ratios, batches, processes, targets. */
export function markdownReport(results: BenchResults, checks: readonly TargetCheck[], chartFile: string): string {
  const { ceilings } = results;
  const lines = [
    `# Keyward benchmark — ${results.date}`,
    '',
    `Machine: ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGb} GB, Node ${results.machine.node}. ` +
      `Run: ${results.settings.durationSec} s per measurement, ${results.settings.keys} key(s), HSM backend \`${results.settings.hsmBackend}\`.`,
    '',
    '| ceiling (same machine, same run) | ops/s |',
    '|---|---|',
    `| AES-256-GCM of 32 bytes, in process | ${n(ceilings.aesGcmOpsPerSec)} |`,
    `| NATS request/reply echo, 64 in flight | ${n(ceilings.natsEchoOpsPerSec)} |`,
    `| Fastify hello world, 64 connections | ${n(ceilings.httpHelloOpsPerSec)} |`,
    '',
    '| real path (consumer → KMS → IAM decision → HSM) | connections | ops/s | ÷ HTTP ceiling | p50 ms | p99 ms | max ms | errors |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const op of ['wrap', 'unwrap'] as const) {
    for (const run of [results.realPath[op].at1, results.realPath[op].at64]) {
      lines.push(
        `| ${op} | ${run.connections} | ${n(run.opsPerSec)} | ${((run.opsPerSec / ceilings.httpHelloOpsPerSec) * 100).toFixed(1)} % | ${run.latencyMs.p50} | ${run.latencyMs.p99} | ${run.latencyMs.max} | ${run.errors} |`,
      );
    }
  }
  lines.push('', '| batch (1,000 DEKs per request) | DEKs/s | ÷ AES-GCM ceiling | p50 ms per request | errors |', '|---|---|---|---|---|');
  for (const op of ['wrap', 'unwrap'] as const) {
    const batch = results.batch[op];
    lines.push(`| ${op}_batch | ${n(batch.deksPerSec)} | ${((batch.deksPerSec / ceilings.aesGcmOpsPerSec) * 100).toFixed(1)} % | ${batch.latencyMs.p50} | ${batch.errors} |`);
  }
  lines.push('', '| process | peak RSS MB | CPU % of one core |', '|---|---|---|');
  for (const [name, stats] of Object.entries(results.processes)) lines.push(`| ${name} | ${stats.peakRssMb} | ${stats.cpuPercent} |`);
  lines.push('', '| target | measured | met |', '|---|---|---|');
  for (const check of checks) lines.push(`| ${check.target} | ${check.measured} | ${check.met ? 'yes' : '**no**'} |`);
  lines.push('', `![latency](${chartFile})`, '');
  return lines.join('\n');
}

/** A bar chart of p50/p99 latency per real-path run, as a self-contained SVG. */
export function latencyChartSvg(results: BenchResults): string {
  const runs = (['wrap', 'unwrap'] as const).flatMap((op) => [results.realPath[op].at1, results.realPath[op].at64].map((run) => ({ label: `${op} ×${run.connections}`, ...run.latencyMs })));
  const width = 640;
  const rowHeight = 44;
  const left = 110;
  const height = 40 + runs.length * rowHeight + 30;
  const maxMs = Math.max(1, ...runs.map((run) => run.p99));
  const x = (ms: number) => left + (ms / maxMs) * (width - left - 80);
  const bars = runs
    .map((run, i) => {
      const y = 40 + i * rowHeight;
      return [
        `<text x="${left - 8}" y="${y + 18}" text-anchor="end">${run.label}</text>`,
        `<rect x="${left}" y="${y + 2}" width="${x(run.p50) - left}" height="16" fill="#4a90d9"/>`,
        `<rect x="${left}" y="${y + 20}" width="${x(run.p99) - left}" height="16" fill="#d9822b"/>`,
        `<text x="${x(run.p50) + 4}" y="${y + 15}">${run.p50} ms</text>`,
        `<text x="${x(run.p99) + 4}" y="${y + 33}">${run.p99} ms</text>`,
      ].join('');
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">Latency of the real path (blue p50, orange p99) — ${results.date}</text>`,
    bars,
    '</svg>',
    '',
  ].join('\n');
}
