import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KEYWARD_APPS, type KeywardAppName, appPortEnvName, appUrlEnvName } from '@keyward/contracts';
import { waitForHealth } from './wait-for-health';

export interface LaunchedService {
  app: KeywardAppName;
  url: string;
  process: ChildProcess;
}

export interface StackOptions {
  /** The repository root (dist/apps/<app>/main.js below it). */
  root: string;
  apps: readonly KeywardAppName[];
  /** Environment for every app (its own port variable is set from `ports`). */
  env: Record<string, string | undefined>;
  ports: Partial<Record<KeywardAppName, number>>;
  /** Variables that differ per app (each app's own DATABASE_URL). */
  perAppEnv?: (app: KeywardAppName) => Record<string, string | undefined>;
  /** Where each line of the apps' output goes; default: inherit this process's stdout/stderr. */
  onOutput?: (app: KeywardAppName, line: string) => void;
  /** Called when an app exits on its own while the stack is up. */
  onUnexpectedExit?: (app: KeywardAppName, code: number | null, signal: NodeJS.Signals | null) => void;
  readyTimeoutMs?: number;
}

export interface RunningStack {
  services: LaunchedService[];
  /** SIGTERM to every app (they drain NATS and close Prisma), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function builtMainPath(root: string, app: KeywardAppName): string {
  return join(root, 'dist', 'apps', app, 'main.js');
}

/** Starts the built apps as child processes and waits until each one's /health is ready. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const services: LaunchedService[] = [];
  const outputTails = new Map<KeywardAppName, string[]>();
  let stopping = false;
  for (const app of options.apps) {
    const main = builtMainPath(options.root, app);
    if (!existsSync(main)) throw new Error(`${main} does not exist: build the apps first (npx nx run-many -t build)`);
  }
  const portOf = (app: KeywardAppName) => options.ports[app] ?? KEYWARD_APPS[app].port;
  // How the apps reach one another over HTTP (consumers → KMS, everyone → IAM): KEYWARD_<APP>_URL.
  const peerUrls = Object.fromEntries(options.apps.map((app) => [appUrlEnvName(app), `http://127.0.0.1:${portOf(app)}`]));
  for (const app of options.apps) {
    const port = portOf(app);
    const child = spawn(process.execPath, ['--enable-source-maps', builtMainPath(options.root, app)], {
      cwd: options.root,
      env: { ...peerUrls, ...options.env, ...options.perAppEnv?.(app), [appPortEnvName(app)]: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Always piped so a start failure can say why (the last lines go into the error); without an
    // `onOutput` the lines still reach this process's own output as before.
    const tail = outputTails.get(app) ?? [];
    outputTails.set(app, tail);
    forwardLines(child, (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      if (options.onOutput) options.onOutput(app, line);
      else process.stdout.write(`${line}\n`);
    });
    child.once('exit', (code, signal) => {
      if (!stopping) options.onUnexpectedExit?.(app, code, signal);
    });
    services.push({ app, url: `http://127.0.0.1:${port}`, process: child });
  }

  const stop = async (graceMs = 10_000) => {
    stopping = true;
    await Promise.all(services.map((service) => stopChild(service.process, graceMs)));
  };

  try {
    // Peers may come up in any order: an app is ready when its own dependencies are; a peer that is
    // still starting only makes it `degraded`, so wait for all to be up, then for all to be `ok`.
    for (const service of services) {
      await waitForHealth(service.url, {
        timeoutMs: options.readyTimeoutMs ?? 60_000,
        acceptDegraded: true,
        isAlive: () => service.process.exitCode === null && service.process.signalCode === null,
      });
    }
    for (const service of services) {
      await waitForHealth(service.url, { timeoutMs: options.readyTimeoutMs ?? 60_000 });
    }
  } catch (error) {
    const explained = await withOutputTails(error, services, outputTails); // before stop(): only apps that died on their own
    await stop(2000);
    throw explained;
  }
  return { services, stop };
}

const TAIL_LINES = 30;

/** The start error, with each app that exited: its exit code or signal and its last lines of output. */
async function withOutputTails(error: unknown, services: LaunchedService[], tails: Map<KeywardAppName, string[]>): Promise<Error> {
  const exited = services.filter((service) => service.process.exitCode !== null || service.process.signalCode !== null);
  const base = error instanceof Error ? error : new Error(String(error));
  if (exited.length === 0) return base;
  // 'exit' can come before the last output is read; 'close' comes after the pipes are drained.
  await Promise.all(exited.map((service) => outputDrained(service.process)));
  const details = exited.map((service) => {
    const how = service.process.signalCode ?? `code ${service.process.exitCode}`;
    return `--- ${service.app} exited (${how}); its last output:\n${(tails.get(service.app) ?? []).join('\n')}`;
  });
  base.message = `${base.message}\n${details.join('\n')}`;
  return base;
}

function outputDrained(child: ChildProcess): Promise<void> {
  const pipesOpen = [child.stdout, child.stderr].some((stream) => stream && !stream.destroyed && !stream.readableEnded);
  if (!pipesOpen) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function forwardLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    stream?.on('end', () => buffered && onLine(buffered));
  }
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
