import type { CliContext } from '../../cli-context';

export type RunCli = (argv: readonly string[], context: CliContext) => Promise<number>;

/** What one `keyward …` run gave back. */
export interface RunResult<T = unknown> {
  code: number;
  json: T;
  stdout: string;
  stderr: string;
}

/** A step that did not behave as its seed says: the demo reports it and exits 1. */
export class DemoFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoFailure';
  }
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DemoFailure(message);
}

/** Values that must never reach the demo's output (API keys written to files, generated DEKs). */
const QUOTE = /[^A-Za-z0-9@%+=:,./_-]/;
const shellWord = (word: string) => (word === '' ? "''" : QUOTE.test(word) ? `'${word.replace(/'/g, "'\\''")}'` : word);

/**
 * Runs `keyward` commands in-process (the same `runCli` the binary runs) as one logged-in user,
 * printing each command line as a user would type it, and collecting what came back as JSON.
 */
export class DemoShell {
  constructor(
    private readonly parent: CliContext,
    private readonly runCli: RunCli,
    readonly configDir: string,
    private readonly print: (line: string) => void,
  ) {}

  /** `keyward <args>` with `--output json`; prints the command unless `quiet`; a non-zero exit is a failure unless `allowFailure`. */
  async run<T = unknown>(args: readonly string[], options: { quiet?: boolean; allowFailure?: boolean } = {}): Promise<RunResult<T>> {
    if (!options.quiet) this.print(`     $ keyward ${args.map(shellWord).join(' ')}`);
    const stdout: string[] = [];
    const stderr: string[] = [];
    const context: CliContext = {
      ...this.parent,
      env: { ...this.parent.env, KEYWARD_CONFIG_DIR: this.configDir },
      out: (line) => stdout.push(line),
      err: (line) => stderr.push(line),
      interactive: false,
    };
    const code = await this.runCli([...args, '--output', 'json'], context);
    const out = stdout.join('\n');
    let json: unknown;
    try {
      json = out ? JSON.parse(out) : undefined;
    } catch {
      json = undefined;
    }
    const result = { code, json: json as T, stdout: out, stderr: stderr.join('\n') };
    if (code !== 0 && !options.allowFailure) throw new DemoFailure(`\`keyward ${args.join(' ')}\` exited ${code}: ${result.stderr.split('\n')[0] ?? ''}`);
    return result;
  }

  /**
   * Prints the command once, then runs it until `accept` passes (it throws otherwise), up to
   * `timeoutMs`: what a user does while an event or an authorization reaches a service.
   */
  async runUntil<T = unknown>(args: readonly string[], accept: (result: RunResult<T>) => void, timeoutMs: number, intervalMs = 300): Promise<RunResult<T>> {
    this.print(`     $ keyward ${args.map(shellWord).join(' ')}   (repeated until it does, up to ${Math.round(timeoutMs / 1000)} s)`);
    return eventually(async () => {
      const result = await this.run<T>(args, { quiet: true, allowFailure: true });
      accept(result);
      return result;
    }, timeoutMs, intervalMs);
  }
}

/** Retries `attempt` (used by DemoShell.runUntil) until it stops throwing, up to `timeoutMs` (events and authorizations take a moment). */
export async function eventually<T>(attempt: () => Promise<T>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/**
 * The demo's narration: seed headings, numbered steps (what it does, the command, what came back),
 * and the cleanups to run at the end, newest first, whatever happened.
 */
export class Demo {
  private stepNumber = 0;
  private readonly cleanups: { what: string; shell: DemoShell; args: string[] }[] = [];
  readonly startedAt = Date.now();

  constructor(readonly print: (line: string) => void) {}

  seed(heading: string): void {
    this.stepNumber = 0;
    this.print('');
    this.print(heading);
  }

  /** One step: its description, then its commands (printed as they run), then `→ what came back`. */
  async step(description: string, body: () => Promise<string>): Promise<void> {
    this.stepNumber += 1;
    this.print(`  ${this.stepNumber}. ${description}`);
    const outcome = await body();
    for (const line of outcome.split('\n')) this.print(`     → ${line}`);
  }

  /** Remember how to remove something the demo created. */
  onCleanup(what: string, shell: DemoShell, args: string[]): void {
    this.cleanups.push({ what, shell, args });
  }

  /** Best effort: every cleanup runs even when an earlier one fails. Returns how many failed. */
  async cleanUp(): Promise<number> {
    let failed = 0;
    if (this.cleanups.length === 0) return 0;
    this.print('');
    this.print('Cleaning up what the demo created');
    for (const cleanup of this.cleanups.reverse()) {
      const result = await cleanup.shell.run(cleanup.args, { allowFailure: true }).catch(() => ({ code: 1, stderr: 'failed' }));
      if (result.code !== 0) {
        failed += 1;
        this.print(`     ! could not remove ${cleanup.what}: ${result.stderr.split('\n')[0] ?? ''}`);
      }
    }
    this.cleanups.length = 0;
    return failed;
  }

  elapsedSeconds(): string {
    return ((Date.now() - this.startedAt) / 1000).toFixed(1);
  }
}
