import { createInterface } from 'node:readline/promises';
import { promptHidden } from './prompt/hidden-prompt';

/** What commands use from the outside world: injected, so tests run them in-process. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  out(line: string): void;
  err(line: string): void;
  /** How long `keyward status` waits for each /health. */
  timeoutMs: number;
  /** How long an API call waits for its answer. */
  apiTimeoutMs: number;
  /** Whether a person can answer prompts (stdin is a terminal). */
  interactive: boolean;
  /** Asks for a secret without echoing it. Only called when `interactive`. */
  promptSecret(question: string): Promise<string>;
  /** Asks a yes/no question (default no). Only called when `interactive`. */
  confirm(question: string): Promise<boolean>;
  /** Milliseconds since the epoch (tests move it to expire tokens). */
  now(): number;
}

export function processContext(): CliContext {
  return {
    env: process.env,
    fetch,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    timeoutMs: 3000,
    apiTimeoutMs: 30_000,
    interactive: process.stdin.isTTY === true,
    promptSecret: (question) => promptHidden(process.stdin, process.stderr, question),
    confirm: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    },
    now: () => Date.now(),
  };
}
