import type { CliContext } from '../cli-context';

export type TestContext = CliContext & { stdout: string[]; stderr: string[] };

/** An in-process context recording what the CLI prints; no terminal unless a test gives answers. */
export function testContext(env: NodeJS.ProcessEnv, overrides: Partial<CliContext> = {}): TestContext {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env,
    fetch,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    timeoutMs: 2000,
    apiTimeoutMs: 5000,
    interactive: false,
    promptSecret: () => Promise.reject(new Error('no terminal in tests')),
    confirm: () => Promise.resolve(false),
    now: () => Date.now(),
    ...overrides,
    stdout,
    stderr,
  };
}
