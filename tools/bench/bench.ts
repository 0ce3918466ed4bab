// `npm run bench`: the wrap path against the machine's own ceilings, in one run (docs/PERFORMANCE.md).
// Starts the stack with production settings on free ports (or, with --use-running, tests the one at
// KEYWARD_<APP>_URL), sets up a KMS instance, a root key and a consumer authorized as Reader, and
// measures ceilings, the real path at 1 and 64 connections, batches, and each service's RSS and CPU.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { ADMIN_APIKEY_ENV, type KeywardAppName, appUrlEnvName, serviceApiKeyEnvName } from '@keyward/contracts';
import { findFreePort } from '@keyward/stack';
import { STACK_APPS, launchDevStack, repositoryRoot } from '../dev/dev-stack';
import { aesGcmCeiling, fastifyHelloCeiling, natsEchoCeiling } from './ceilings';
import { createMoreKeys, iamToken, setUpBenchSubject, wrapOnce } from './keyward-setup';
import { type LoadResult, runLoad } from './load';
import { ProcessSampler } from './process-stats';
import { latencyChartSvg, markdownReport } from './report';
import type { BatchResult, BenchResults } from './results';
import { checkTargets } from './targets';

interface Flags {
  duration: string;
  connections: string;
  keys: string;
  batchConnections: string;
  check?: boolean;
  useRunning?: boolean;
  out: string;
}

const step = (message: string) => console.log(`\u25b8 ${message}`);
const dek = () => randomBytes(32).toString('base64');

function devSecret(name: string): string | undefined {
  if (process.env[name]) return process.env[name];
  const file = join(repositoryRoot, '.keyward', 'dev-secrets.env');
  if (!existsSync(file)) return undefined;
  return new RegExp(`^${name}=(.+)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1];
}

async function main(flags: Flags): Promise<number> {
  const durationSec = Number(flags.duration);
  const connections = Number(flags.connections);
  const keyCount = Number(flags.keys);
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

  step(`Ceilings (${durationSec} s each)`);
  const aesGcmOpsPerSec = aesGcmCeiling(durationSec * 1000);
  const natsEchoOpsPerSec = await natsEchoCeiling(natsUrl, durationSec * 1000, 64);
  const httpHello = await fastifyHelloCeiling({ connections, durationSec });

  let stop = async () => undefined as void;
  let urls: Record<KeywardAppName, string>;
  const pids = new Map<string, number>();
  if (flags.useRunning) {
    urls = Object.fromEntries(STACK_APPS.map((app) => [app, process.env[appUrlEnvName(app)] ?? ''])) as Record<KeywardAppName, string>;
    if (!urls.iam || !urls.kms) throw new Error('--use-running needs KEYWARD_IAM_URL and KEYWARD_KMS_URL');
  } else {
    const ports = Object.fromEntries(await Promise.all(STACK_APPS.map(async (app) => [app, await findFreePort()] as const)));
    const { stack } = await launchDevStack({ env: process.env, step, ports, logLevel: 'warn', onOutput: () => undefined });
    stop = () => stack.stop();
    urls = Object.fromEntries(stack.services.map((service) => [service.app, service.url])) as Record<KeywardAppName, string>;
    for (const service of stack.services) if (service.process.pid) pids.set(service.app, service.process.pid);
  }

  try {
    const adminApiKey = devSecret(ADMIN_APIKEY_ENV);
    const consumerApiKey = devSecret(serviceApiKeyEnvName('apprapp'));
    if (!adminApiKey || !consumerApiKey) throw new Error(`${ADMIN_APIKEY_ENV} and ${serviceApiKeyEnvName('apprapp')} are needed (env or .keyward/dev-secrets.env)`);
    step('Setting up an instance, root key(s) and a Reader authorization for App Configuration');
    const subject = await setUpBenchSubject({ iamUrl: urls.iam, kmsUrl: urls.kms, adminApiKey, consumerApiKey });
    const keyIds = keyCount > 1 ? await createMoreKeys(subject, await iamToken(urls.iam, adminApiKey), keyCount) : [subject.keyId];
    const wrapped = await Promise.all(keyIds.map(async (keyId) => ({ keyId, ciphertext: await wrapOnce(subject, keyId, dek()) })));

    const sampler = new ProcessSampler(pids);
    sampler.start();
    const path = (keyId: string, action: string) => `/api/v2/keys/${keyId}/actions/${action}`;
    // One request shape per key: autocannon rotates the bodies; with several keys each has its own path.
    const realPath = async (action: 'wrap' | 'unwrap', at: number): Promise<LoadResult> => {
      const key = keyIds[0] as string;
      const bodies = action === 'wrap' ? Array.from({ length: 64 }, () => JSON.stringify({ plaintext: dek() })) : [JSON.stringify({ ciphertext: wrapped[0]?.ciphertext })];
      return runLoad(subject.kmsUrl, { method: 'POST', path: path(key, action), headers: subject.consumerHeaders, bodies }, { connections: at, durationSec });
    };
    step('Real path: wrap and unwrap at 1 and 64 connections');
    const results: BenchResults['realPath'] = {
      wrap: { at1: await realPath('wrap', 1), at64: await realPath('wrap', connections) },
      unwrap: { at1: await realPath('unwrap', 1), at64: await realPath('unwrap', connections) },
    };

    step('Batches of 1,000 DEKs');
    const items = 1000;
    const batchWrapBody = JSON.stringify({ items: Array.from({ length: items }, () => ({ plaintext: dek() })) });
    const batchWrap = await runLoad(
      subject.kmsUrl,
      { method: 'POST', path: path(subject.keyId, 'wrap_batch'), headers: subject.consumerHeaders, body: batchWrapBody },
      { connections: Number(flags.batchConnections), durationSec },
    );
    const ciphertexts = await Promise.all(Array.from({ length: 20 }, () => wrapOnce(subject, subject.keyId, dek())));
    const batchUnwrapBody = JSON.stringify({ items: Array.from({ length: items }, (_, i) => ({ ciphertext: ciphertexts[i % ciphertexts.length] })) });
    const batchUnwrap = await runLoad(
      subject.kmsUrl,
      { method: 'POST', path: path(subject.keyId, 'unwrap_batch'), headers: subject.consumerHeaders, body: batchUnwrapBody },
      { connections: Number(flags.batchConnections), durationSec },
    );
    const batch = (load: LoadResult): BatchResult => ({
      itemsPerRequest: items,
      requests: load.requests,
      deksPerSec: ((load.requests - load.errors) * items) / durationSec,
      errors: load.errors,
      latencyMs: load.latencyMs,
    });
    const processes = sampler.stop();

    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const report: BenchResults = {
      date,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
      settings: { durationSec, connections, keys: keyCount, hsmBackend: process.env['KEYWARD_HSM_BACKEND'] ?? 'software' },
      ceilings: { aesGcmOpsPerSec, natsEchoOpsPerSec, httpHelloOpsPerSec: httpHello.opsPerSec, httpHello },
      realPath: results,
      batch: { wrap: batch(batchWrap), unwrap: batch(batchUnwrap) },
      processes,
    };
    const checks = checkTargets(report);
    const outDir = resolve(repositoryRoot, flags.out);
    mkdirSync(outDir, { recursive: true });
    const base = date.replace(/:/g, '-');
    writeFileSync(join(outDir, `${base}.json`), JSON.stringify({ ...report, checks }, null, 2) + '\n');
    writeFileSync(join(outDir, `${base}.svg`), latencyChartSvg(report));
    const markdown = markdownReport(report, checks, `${base}.svg`);
    writeFileSync(join(outDir, `${base}.md`), markdown);
    console.log(`\n${markdown}\nWritten to ${flags.out}/${base}.{json,md,svg}`);
    const missed = checks.filter((check) => !check.met);
    if (flags.check && missed.length) {
      console.error(`\n${missed.length} target(s) missed:\n${missed.map((check) => `  - ${check.target}: ${check.measured}`).join('\n')}`);
      return 1;
    }
    return 0;
  } finally {
    await stop();
  }
}

const program = new Command('bench')
  .description('Measure the wrap path against this machine’s ceilings (docs/PERFORMANCE.md)')
  .option('--duration <seconds>', 'seconds per measurement', '10')
  .option('--connections <n>', 'concurrent connections of the loaded runs', '64')
  .option('--batch-connections <n>', 'concurrent connections of the batch runs', '4')
  .option('--keys <n>', 'root keys to spread the load over (measures the HSM key cache)', '1')
  .option('--check', 'exit non-zero when a target is missed')
  .option('--use-running', 'measure the stack at KEYWARD_<APP>_URL instead of starting one')
  .option('--out <dir>', 'where results go', 'bench/results')
  .action(async (flags: Flags) => {
    process.exitCode = await main(flags);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
