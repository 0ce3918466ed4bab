// `npm run bench` in miniature (one second per measurement) against the stack the e2e harness started,
// so the benchmark keeps working between the runs that measure (docs/PERFORMANCE.md). It checks that
// every part ran and wrote its report, and that the real path answered without errors; the targets
// themselves are for `npm run bench -- --check` on a quiet machine, not for a loaded test run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@keyward/testing';

jest.setTimeout(180_000);

interface LoadFigures {
  requests: number;
  errors: number;
  opsPerSec: number;
  latencyMs: { p50: number; p99: number; max: number };
}
interface Report {
  ceilings: { aesGcmOpsPerSec: number; natsEchoOpsPerSec: number; httpHelloOpsPerSec: number };
  realPath: Record<'wrap' | 'unwrap', Record<'at1' | 'at64', LoadFigures>>;
  batch: Record<'wrap' | 'unwrap', { deksPerSec: number; errors: number }>;
  checks: { target: string; measured: string; met: boolean }[];
}

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join('tools', 'bench', 'bench.ts'), ...args], {
      cwd: repoRoot(),
      env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.base.json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('npm run bench (smoke)', () => {
  const out = mkdtempSync(join(tmpdir(), 'keyward-bench-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('measures ceilings, the real path and batches against the running stack and writes JSON, Markdown and a chart', async () => {
    const run = await runBench(['--use-running', '--duration', '1', '--connections', '8', '--batch-connections', '1', '--out', out]);
    expect({ code: run.code, tail: run.code === 0 ? '' : run.output.slice(-2000) }).toEqual({ code: 0, tail: '' });

    const files = readdirSync(out);
    const base = files.find((file) => file.endsWith('.json'))?.replace(/\.json$/, '');
    expect(base).toBeDefined();
    expect(files.sort()).toEqual([`${base}.json`, `${base}.md`, `${base}.svg`]);

    const report = JSON.parse(readFileSync(join(out, `${base}.json`), 'utf8')) as Report;
    for (const ceiling of [report.ceilings.aesGcmOpsPerSec, report.ceilings.natsEchoOpsPerSec, report.ceilings.httpHelloOpsPerSec]) expect(ceiling).toBeGreaterThan(0);
    for (const op of ['wrap', 'unwrap'] as const) {
      for (const at of ['at1', 'at64'] as const) {
        expect(report.realPath[op][at].requests).toBeGreaterThan(0);
        expect(report.realPath[op][at].errors).toBe(0);
      }
      expect(report.batch[op].errors).toBe(0);
      expect(report.batch[op].deksPerSec).toBeGreaterThan(0);
    }
    expect(report.checks.map((check) => check.target)).toEqual(expect.arrayContaining(['wrap at 64 connections ≥ 5,000 ops/s', 'batch unwrap ≥ 35 % of the AES-GCM ceiling']));

    const markdown = readFileSync(join(out, `${base}.md`), 'utf8');
    expect(markdown).toContain('| target | measured | met |');
    expect(readFileSync(join(out, `${base}.svg`), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    // The consumer's token and API keys stay out of what the bench prints and writes.
    for (const secret of [process.env['KEYWARD_ADMIN_APIKEY'], process.env['KEYWARD_SERVICE_APIKEY_APPRAPP']]) {
      expect(secret).toBeTruthy();
      expect(run.output).not.toContain(secret as string);
      expect(readFileSync(join(out, `${base}.json`), 'utf8')).not.toContain(secret as string);
    }
  });
});
