import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliContext } from '../../cli-context';
import { runCli } from '../../program';
import { testContext } from '../../testing/test-context';
import { Demo, DemoFailure, DemoShell, eventually } from './demo-runner';

describe('the demo runner', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-demo-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints each command as typed (quoted where needed), runs it in-process with --output json and parses the answer', async () => {
    const printed: string[] = [];
    const seen: string[][] = [];
    const fakeRun = async (argv: readonly string[], context: CliContext) => {
      seen.push([...argv, `config=${context.env['KEYWARD_CONFIG_DIR'] ?? ''}`]);
      context.out(JSON.stringify({ ok: true }));
      return 0;
    };
    const shell = new DemoShell(testContext({}), fakeRun, join(dir, 'user'), (line) => printed.push(line));
    const result = await shell.run<{ ok: boolean }>(['app-config', 'segment', 'create', 's', '--rule', 'email endsWith @example.com']);
    expect(result.json).toEqual({ ok: true });
    expect(printed).toEqual(["     $ keyward app-config segment create s --rule 'email endsWith @example.com'"]);
    expect(seen).toEqual([['app-config', 'segment', 'create', 's', '--rule', 'email endsWith @example.com', '--output', 'json', `config=${join(dir, 'user')}`]]);
  });

  it('a non-zero exit is a DemoFailure naming the command and the error, unless allowed', async () => {
    const failing = async (_argv: readonly string[], context: CliContext) => {
      context.err('FAILED: kms: nope (KEY_NOT_FOUND_ERR)');
      return 4;
    };
    const shell = new DemoShell(testContext({}), failing, dir, () => undefined);
    await expect(shell.run(['kp', 'keys', '-i', 'x'])).rejects.toThrow(new DemoFailure('`keyward kp keys -i x` exited 4: FAILED: kms: nope (KEY_NOT_FOUND_ERR)'));
    expect((await shell.run(['kp', 'keys', '-i', 'x'], { allowFailure: true })).code).toBe(4);
  });

  it('eventually retries until the attempt passes, and gives up at the deadline with the last error', async () => {
    let calls = 0;
    expect(await eventually(async () => (++calls < 3 ? Promise.reject(new Error('not yet')) : 'done'), 2000, 10)).toBe('done');
    await expect(eventually(() => Promise.reject(new Error('never')), 50, 10)).rejects.toThrow('never');
  });

  it('runs every cleanup, newest first, even when one fails, and counts the failures', async () => {
    const printed: string[] = [];
    const ran: string[] = [];
    const run = async (argv: readonly string[]) => {
      ran.push(argv.join(' '));
      return argv.includes('bad') ? 4 : 0;
    };
    const shell = new DemoShell(testContext({}), run, dir, (line) => printed.push(line));
    const demo = new Demo((line) => printed.push(line));
    demo.onCleanup('first', shell, ['resource', 'service-instance-delete', 'a', '-f']);
    demo.onCleanup('second', shell, ['resource', 'service-instance-delete', 'bad', '-f']);
    demo.onCleanup('third', shell, ['dbaas', 'cluster', 'delete', 'c', '-f']);
    expect(await demo.cleanUp()).toBe(1);
    expect(ran).toEqual(['dbaas cluster delete c -f --output json', 'resource service-instance-delete bad -f --output json', 'resource service-instance-delete a -f --output json']);
    expect(printed.join('\n')).toContain('could not remove second');
  });
});

describe('keyward demo (in-process)', () => {
  it('exits 1 when a step does not behave (here: IAM unreachable), saying which, and prints no API key', async () => {
    const ctx = testContext({ KEYWARD_CONFIG_DIR: join(mkdtempSync(join(tmpdir(), 'keyward-demo-spec-')), 'config') });
    const key = 'kw_demo-spec-key-0123456789abcdef';
    expect(await runCli(['demo', '--apikey', key, '--endpoint', 'http://127.0.0.1:1'], ctx)).toBe(1);
    const all = [...ctx.stdout, ...ctx.stderr].join('\n');
    expect(all).toContain('Log in as the operator');
    expect(all).toContain('$ keyward login --apikey @');
    expect(ctx.stderr.join('\n')).toMatch(/FAILED: the demo stopped after [\d.]+ s: `keyward login .*` exited 5/);
    expect(all).not.toContain(key);
  });

  it('without any API key it is a usage error (exit 2) saying where the key comes from', async () => {
    const ctx = testContext({ KEYWARD_CONFIG_DIR: join(mkdtempSync(join(tmpdir(), 'keyward-demo-spec-')), 'config') });
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      expect(await runCli(['demo', '--endpoint', 'http://127.0.0.1:1'], ctx)).toBe(2);
    } finally {
      process.chdir(cwd);
    }
    expect(ctx.stderr.join('\n')).toContain('No API key for the demo');
  });
});
