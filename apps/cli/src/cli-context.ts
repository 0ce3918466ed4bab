/** What commands use from the outside world: injected, so tests run them in-process. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  out(line: string): void;
  err(line: string): void;
  timeoutMs: number;
}

export function processContext(): CliContext {
  return {
    env: process.env,
    fetch,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    timeoutMs: 3000,
  };
}
