import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, isReachable } from '@keyward/stack';

export interface NatsServerProcess {
  /** `nats://127.0.0.1:<port>` (or `tls://…` when the configuration enables TLS). */
  port: number;
  /** The HTTP monitoring port (`/jsz`, `/connz`). */
  monitorPort: number;
  /** A directory that is removed when the server stops: for the JetStream store, certificates… */
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

/** The nats-server binary: NATS_SERVER_BIN, the Debian package's path, or the one on PATH. */
function natsServerBinary(): string {
  const configured = process.env['NATS_SERVER_BIN'];
  if (configured) return configured;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';
}

/**
 * A nats-server of the suite's own, on free ports, with the configuration `render` writes for the
 * chosen port and store directory. `env` is the server's environment (configuration `$VARIABLES`).
 */
export async function startNatsServer(options: {
  render: (context: { port: number; dir: string }) => string;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<NatsServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-nats-'));
  const [port, monitorPort] = [await findFreePort(), await findFreePort()];
  const configFile = join(dir, 'nats-server.conf');
  writeFileSync(configFile, options.render({ port, dir }));
  let output = '';
  const child: ChildProcess = spawn(natsServerBinary(), ['-c', configFile, '-a', '127.0.0.1', '-m', String(monitorPort)], {
    env: { PATH: process.env['PATH'], ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (!(await isReachable('127.0.0.1', port, 200))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nats-server did not start on port ${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, monitorPort, dir, output: () => output, stop };
}
