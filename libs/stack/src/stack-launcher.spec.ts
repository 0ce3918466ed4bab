import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtMainPath, startStack } from './stack-launcher';

describe('startStack', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'keyward-launcher-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const writeApp = (source: string) => {
    const main = builtMainPath(root, 'iam');
    mkdirSync(join(main, '..'), { recursive: true });
    writeFileSync(main, source);
  };

  it('says why an app died before it became healthy: exit code and its last lines of output', async () => {
    writeApp(`console.log('starting'); console.error('Error: listen EADDRINUSE 127.0.0.1:1'); process.exit(3);`);
    const lines: string[] = [];

    const started = startStack({ root, apps: ['iam'], env: {}, ports: { iam: 1 }, onOutput: (_app, line) => lines.push(line), readyTimeoutMs: 10_000 });

    await expect(started).rejects.toThrow(/exited before it became healthy[\s\S]*iam exited \(code 3\)[\s\S]*starting[\s\S]*EADDRINUSE/);
    expect(lines).toEqual(['starting', 'Error: listen EADDRINUSE 127.0.0.1:1']);
  });

  it('keeps only the last 30 lines of a noisy app', async () => {
    writeApp(`for (let i = 0; i < 100; i++) console.log('line ' + i); process.exit(1);`);

    const error: Error = await startStack({ root, apps: ['iam'], env: {}, ports: { iam: 1 }, onOutput: () => undefined, readyTimeoutMs: 10_000 }).catch((e) => e);

    expect(error.message).toContain('line 99');
    expect(error.message).toContain('line 70');
    expect(error.message).not.toContain('line 69\n');
  });
});
